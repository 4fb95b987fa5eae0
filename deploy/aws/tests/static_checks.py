#!/usr/bin/env python3
"""static_checks.py DIR: what `terraform validate` and a plan would catch in the root
module of deploy/aws, checked without the AWS provider (CI cannot download it).

1. References: every var., local., module., data. and resource reference names
   something declared; every module argument is a variable of that module, every
   required variable of a module is given, and every module output read exists.
2. The stack's promises, resource by resource: encrypted volumes, IMDSv2 and EC2
   automatic recovery on every instance, the backup bucket (versioned, encrypted, public
   access blocked, TLS only, objects for the database nodes' role alone, a lifecycle,
   never destroyed by terraform destroy), a data volume per database node that is
   detached only from a stopped instance, status-check alarms on every instance (the
   system check recovers it), NLB alarms, all of them to the SNS topic, a check that
   the region has enough zones, no Session Manager, and no file hash that would make
   `terraform destroy` need the packages.

Prints one line per problem; exit status 1 if any. A small HCL reader, not a parser:
it knows blocks, strings (with ${} interpolation), heredocs and comments, which is
all the stack's files use.
"""
import os
import re
import sys


def strip_comments(text):
    """Removes # and // comments and /* */ blocks, keeping strings and heredocs."""
    out, i, n = [], 0, len(text)
    heredoc = None
    while i < n:
        if heredoc:
            end = text.find("\n", i)
            line = text[i:] if end < 0 else text[i:end + 1]
            out.append(line)
            if line.strip() == heredoc:
                heredoc = None
            i = n if end < 0 else end + 1
            continue
        c = text[i]
        m = re.match(r"<<-?([A-Z_]+)\n", text[i:])
        if m:
            heredoc = m.group(1)
            out.append(m.group(0))
            i += len(m.group(0))
        elif c == '"':
            j = skip_string(text, i)
            out.append(text[i:j])
            i = j
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def skip_string(text, i):
    """Index just past the string literal starting at text[i] == '"'."""
    i += 1
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            depth += 1
            i += 2
            continue
        if c == "}" and depth > 0:
            depth -= 1
        elif c == '"' and depth == 0:
            return i + 1
        elif c == '"' and depth > 0:
            i = skip_string(text, i)
            continue
        i += 1
    return i


def matching_brace(text, i):
    """Index of the '}' closing the '{' at text[i]."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = skip_string(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces")


BLOCK = re.compile(r'^([a-z_]+)((?:\s+"[^"]*")*)\s*\{', re.M)


def blocks(text):
    """Top-level blocks: (type, [labels], body)."""
    found, i = [], 0
    while True:
        m = BLOCK.search(text, i)
        if not m:
            return found
        start = m.end() - 1
        end = matching_brace(text, start)
        found.append((m.group(1), re.findall(r'"([^"]*)"', m.group(2)), text[start + 1:end]))
        i = end + 1


def sub_blocks(body, name):
    """Bodies of the nested blocks (or map attributes) called name, at any depth."""
    out = []
    for m in re.finditer(r"(?<![\w.])%s\s*=?\s*\{" % re.escape(name), body):
        start = m.end() - 1
        out.append(body[start + 1:matching_brace(body, start)])
    return out


def attr(body, name):
    """The value text of a one-line attribute `name = value` (first one), or None."""
    m = re.search(r"^\s*%s\s*=\s*(.+?)\s*$" % re.escape(name), body, re.M)
    return m.group(1) if m else None


def top_level_keys(body):
    """Attribute names at depth 0 of a block body (a locals block's names)."""
    keys, depth, i = [], 0, 0
    line_start = True
    while i < len(body):
        c = body[i]
        if c == '"':
            i = skip_string(body, i)
            line_start = False
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        elif c == "\n":
            line_start = True
            i += 1
            continue
        if depth == 0 and line_start and not c.isspace():
            m = re.match(r"([A-Za-z_][\w-]*)\s*=(?!=)", body[i:])
            if m:
                keys.append(m.group(1))
            line_start = False
        i += 1
    return keys


def load(directory):
    text = ""
    for name in sorted(os.listdir(directory)):
        if name.endswith(".tf"):
            with open(os.path.join(directory, name)) as f:
                text += strip_comments(f.read()) + "\n"
    return blocks(text)


class Checker:
    def __init__(self, root):
        self.root = root
        self.problems = []
        self.blocks = load(root)

    def fail(self, msg):
        self.problems.append(msg)

    def of(self, kind, *labels):
        return [b for b in self.blocks if b[0] == kind and tuple(b[1][:len(labels)]) == labels]

    def one(self, kind, *labels):
        found = self.of(kind, *labels)
        if len(found) != 1:
            self.fail("expected one %s %s, found %d" % (kind, " ".join(labels), len(found)))
            return ""
        return found[0][2]

    # --- 1. references --------------------------------------------------------------

    def references(self):
        declared = {
            "var": {b[1][0] for b in self.of("variable")},
            "local": {k for b in self.of("locals") for k in top_level_keys(b[2])},
            "module": {b[1][0] for b in self.of("module")},
            "resource": {"%s.%s" % tuple(b[1][:2]) for b in self.of("resource")}
            | {"%s.%s" % tuple(b[1][:2]) for b in self.of("ephemeral")},
            "data": {"%s.%s" % tuple(b[1][:2]) for b in self.of("data")},
        }
        text = "\n".join(b[2] for b in self.blocks)
        for kind in ("var", "local", "module"):
            for name in set(re.findall(r"(?<![\w.])%s\.([A-Za-z_][\w-]*)" % kind, text)):
                if name not in declared[kind]:
                    self.fail("%s.%s is not declared" % (kind, name))
        for ref in set(re.findall(r"(?<![\w.])data\.(\w+\.\w+)", text)):
            if ref not in declared["data"]:
                self.fail("data.%s is not declared" % ref)
        for ref in set(re.findall(r"(?<![\w.\"])((?:aws|random)_\w+\.\w+|terraform_data\.\w+)", text)):
            if ref not in declared["resource"]:
                self.fail("%s is not declared" % ref)
        for b in self.of("module"):
            self.module_call(b[1][0], b[2])

    def module_call(self, name, body):
        source = (attr(body, "source") or "").strip('"')
        directory = os.path.normpath(os.path.join(self.root, source))
        if not os.path.isdir(directory):
            self.fail("module %s: no directory %s" % (name, source))
            return
        inner = load(directory)
        variables = {b[1][0]: b[2] for b in inner if b[0] == "variable"}
        outputs = {b[1][0] for b in inner if b[0] == "output"}
        given = set(top_level_keys(body)) - {"source", "count", "for_each", "depends_on", "providers"}
        for arg in sorted(given - set(variables)):
            self.fail("module %s: %s is not a variable of %s" % (name, arg, source))
        for var, vbody in variables.items():
            if var not in given and attr(vbody, "default") is None:
                self.fail("module %s: required variable %s is not given" % (name, var))
        text = "\n".join(b[2] for b in self.blocks)
        for out in set(re.findall(r"(?<![\w.])module\.%s\.(\w+)" % re.escape(name), text)):
            if out not in outputs:
                self.fail("module.%s.%s: %s has no such output" % (name, out, source))

    # --- 2. the stack's promises ----------------------------------------------------------

    def instances(self):
        found = self.of("resource", "aws_instance")
        if {b[1][1] for b in found} != {"etcd", "db", "bastion"}:
            self.fail("instances: expected etcd, db and bastion, found %s" % sorted(b[1][1] for b in found))
        for _, labels, body in found:
            name = "aws_instance.%s" % labels[1]
            if not any(attr(m, "auto_recovery") == '"default"' for m in sub_blocks(body, "maintenance_options")):
                self.fail("%s: no maintenance_options { auto_recovery = \"default\" }" % name)
            if not any(attr(m, "http_tokens") == '"required"' for m in sub_blocks(body, "metadata_options")):
                self.fail("%s: IMDSv2 not required" % name)
            roots = sub_blocks(body, "root_block_device")
            if not roots or any(attr(r, "encrypted") != "true" for r in roots):
                self.fail("%s: root volume not encrypted" % name)

    def data_volumes(self):
        vol = self.one("resource", "aws_ebs_volume", "data")
        if vol:
            for key, want in (("encrypted", "true"), ("type", '"gp3"'), ("count", "var.db_node_count")):
                if attr(vol, key) != want:
                    self.fail("aws_ebs_volume.data: %s must be %s (is %s)" % (key, want, attr(vol, key)))
            if "module.layout.db_nodes[count.index].zone" not in (attr(vol, "availability_zone") or ""):
                self.fail("aws_ebs_volume.data: not in its node's zone")
        att = self.one("resource", "aws_volume_attachment", "data")
        if att:
            if attr(att, "stop_instance_before_detaching") != "true":
                self.fail("aws_volume_attachment.data: detaches from a running node")
            if attr(att, "instance_id") != "aws_instance.db[count.index].id" or \
                    attr(att, "volume_id") != "aws_ebs_volume.data[count.index].id":
                self.fail("aws_volume_attachment.data: node i must get volume i")
        ud = self.one("module", "userdata")
        if ud and "aws_ebs_volume.data" not in (attr(ud, "db_data_volume_ids") or ""):
            self.fail("module userdata: the boot scripts do not get the data volume ids")

    def alarms(self):
        topic = "aws_sns_topic.alarms.arn"
        self.one("resource", "aws_sns_topic", "alarms")
        sub = self.one("resource", "aws_sns_topic_subscription", "email")
        if sub and ("var.alarm_email" not in (attr(sub, "count") or "") or attr(sub, "endpoint") != "var.alarm_email"):
            self.fail("aws_sns_topic_subscription.email: must subscribe var.alarm_email, when given")
        for name, for_each in (("nlb", "module.layout.lb_alarms"), ("status_check", "local.instance_checks")):
            body = self.one("resource", "aws_cloudwatch_metric_alarm", name)
            if body and attr(body, "for_each") != for_each:
                self.fail("alarm %s: for_each must be %s" % (name, for_each))
        nlb = self.one("resource", "aws_cloudwatch_metric_alarm", "nlb")
        if nlb and topic not in (attr(nlb, "alarm_actions") or ""):
            self.fail("alarm nlb: does not notify the SNS topic")
        checks = "\n".join(sub_blocks("\n".join(b[2] for b in self.of("locals")), "status_checks"))
        for kind, metric, recover in (("system", "StatusCheckFailed_System", True),
                                      ("instance", "StatusCheckFailed_Instance", False)):
            spec = sub_blocks(checks, kind)
            if not spec:
                self.fail("local.status_checks has no %s check" % kind)
                continue
            actions = attr(spec[0], "actions") or ""
            if attr(spec[0], "metric") != '"%s"' % metric:
                self.fail("status check %s: metric must be %s" % (kind, metric))
            if topic not in actions:
                self.fail("status check %s: does not notify the SNS topic" % kind)
            if recover != ("local.recover_action" in actions):
                self.fail("status check %s: the recover action belongs to the system check only" % kind)
        if "setproduct(keys(local.instances), keys(local.status_checks))" not in \
                "\n".join(b[2] for b in self.of("locals")):
            self.fail("local.instance_checks must pair every instance with every status check")
        locals_text = "\n".join(b[2] for b in self.of("locals"))
        m = re.search(r"^\s*instances\s*=\s*merge\((.*?)^\s*\)", locals_text, re.M | re.S)
        if not m or not all("aws_instance.%s" % k in m.group(1) for k in ("etcd", "db", "bastion")):
            self.fail("local.instances must cover the etcd, db and bastion instances")
        if not re.search(r'recover_action\s*=\s*".*:automate:\$\{var\.region\}:ec2:recover"', locals_text):
            self.fail("local.recover_action is not EC2's recover action")

    def zones(self):
        body = self.one("data", "aws_availability_zones", "available")
        post = sub_blocks(body, "postcondition")
        if not post or "var.az_count" not in (attr(post[0], "condition") or ""):
            self.fail("data.aws_availability_zones.available: no postcondition on var.az_count")
        layout = self.one("module", "layout")
        for arg in ("available_zones", "zone_instance_types", "instance_types"):
            if attr(layout, arg) is None and not re.search(r"^\s*%s\s*=" % arg, layout, re.M):
                self.fail("module layout: %s is not given (the zone check needs it)" % arg)
        locals_text = "\n".join(b[2] for b in self.of("locals"))
        if not re.search(r"^\s*azs\s*=\s*module\.layout\.zones\s*$", locals_text, re.M):
            self.fail("local.azs must be module.layout.zones (the checked zones)")

    def no_session_manager(self):
        for path in sorted(os.listdir(self.root)):
            if path.endswith(".tf"):
                with open(os.path.join(self.root, path)) as f:
                    if "AmazonSSMManagedInstanceCore" in strip_comments(f.read()):
                        self.fail("%s: Session Manager is attached, but the hosts run no SSM agent" % path)

    def destroy_without_packages(self):
        text = "\n".join(b[2] for b in self.blocks)
        if re.search(r"\bfile(md5|sha\d+|base64sha\d+)?\(", text):
            self.fail("the root reads a file (file*()): destroy would need it; use modules/packages")
        obj = self.one("resource", "aws_s3_object", "package")
        if obj and attr(obj, "for_each") != "module.packages.packages":
            self.fail("aws_s3_object.package: for_each must be module.packages.packages")

    def backup_bucket(self):
        name = "aws_s3_bucket.backups"
        bucket = self.one("resource", "aws_s3_bucket", "backups")
        if bucket and not any(attr(l, "prevent_destroy") == "true" for l in sub_blocks(bucket, "lifecycle")):
            self.fail("%s: no lifecycle { prevent_destroy = true }" % name)
        if bucket and attr(bucket, "force_destroy") == "true":
            self.fail("%s: force_destroy would let terraform delete the backups" % name)
        for kind in ("versioning", "public_access_block", "server_side_encryption_configuration",
                     "lifecycle_configuration", "policy", "ownership_controls"):
            body = self.one("resource", "aws_s3_bucket_%s" % kind, "backups")
            if body and attr(body, "bucket") != "%s.id" % name:
                self.fail("aws_s3_bucket_%s.backups: not on %s" % (kind, name))
        ver = self.one("resource", "aws_s3_bucket_versioning", "backups")
        if ver and not any(attr(v, "status") == '"Enabled"' for v in sub_blocks(ver, "versioning_configuration")):
            self.fail("aws_s3_bucket_versioning.backups: versioning not enabled")
        pab = self.one("resource", "aws_s3_bucket_public_access_block", "backups")
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            if pab and attr(pab, key) != "true":
                self.fail("aws_s3_bucket_public_access_block.backups: %s is not true" % key)
        sse = self.one("resource", "aws_s3_bucket_server_side_encryption_configuration", "backups")
        if sse and not re.search(r'sse_algorithm\s*=\s*"(AES256|aws:kms)"', sse):
            self.fail("aws_s3_bucket_server_side_encryption_configuration.backups: no default encryption")
        lc = self.one("resource", "aws_s3_bucket_lifecycle_configuration", "backups")
        if lc and "var.backup_noncurrent_days" not in lc:
            self.fail("aws_s3_bucket_lifecycle_configuration.backups: noncurrent versions never expire")
        doc = self.one("data", "aws_iam_policy_document", "backups")
        if doc and not re.search(r'"aws:SecureTransport"', doc):
            self.fail("data.aws_iam_policy_document.backups: plain HTTP is not denied")
        if doc and not re.search(r'"aws:PrincipalArn"[^}]*aws_iam_role\.node\["db"\]\.arn', doc, re.S):
            self.fail("data.aws_iam_policy_document.backups: objects not restricted to the db role")
        role = self.one("data", "aws_iam_policy_document", "role")
        if role and len(re.findall(r'each\.key == "db"[^}]*?aws_s3_bucket\.backups', role, re.S)) < 2:
            self.fail("data.aws_iam_policy_document.role: the bucket must be granted to the db role only")
        ud = self.one("module", "userdata")
        if ud and "aws_s3_bucket.backups.bucket" not in ud:
            self.fail("module userdata: the agents do not get the backup bucket")

    def run(self):
        self.references()
        self.backup_bucket()
        self.instances()
        self.data_volumes()
        self.alarms()
        self.zones()
        self.no_session_manager()
        self.destroy_without_packages()
        for p in self.problems:
            print(p)
        print("%d problem(s) in %s" % (len(self.problems), self.root))
        return 1 if self.problems else 0


if __name__ == "__main__":
    sys.exit(Checker(sys.argv[1] if len(sys.argv) > 1 else ".").run())
