/*
 * lab_secrets.c: random passwords for a local cluster, kept in 0600 files.
 */
#include "lab/lab_secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/fsutil.h"
#include "util/strutil.h"
#include "util/xalloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define ALPHABET_LEN (sizeof(alphabet) - 1) /* 62 */
/* Bytes >= 248 (= 4 * 62) are skipped so that every character is equally likely. */
#define ACCEPT_BELOW (256 - 256 % ALPHABET_LEN)

struct secret_field {
	const char *file;
	size_t offset;
	bool since_tls; /* absent from labs made before etcd had users: "" then */
};

static const struct secret_field fields[] = {
    {"superuser", offsetof(struct lab_secrets, superuser), false},
    {"replication", offsetof(struct lab_secrets, replication), false},
    {"rewind", offsetof(struct lab_secrets, rewind), false},
    {"restapi", offsetof(struct lab_secrets, restapi), false},
    {"etcd", offsetof(struct lab_secrets, etcd), true},
    {"etcd-root", offsetof(struct lab_secrets, etcd_root), true},
};

static char *field(struct lab_secrets *s, size_t i)
{
	return (char *)s + fields[i].offset;
}

static const char *field_c(const struct lab_secrets *s, size_t i)
{
	return (const char *)s + fields[i].offset;
}

bool lab_password_from_bytes(const unsigned char *bytes, size_t n, char *out, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return false;
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		if (bytes[i] < ACCEPT_BELOW)
			out[len++] = alphabet[bytes[i] % ALPHABET_LEN];
	}
	out[len] = '\0';
	return len + 1 == size;
}

static bool read_random(unsigned char *bytes, size_t n, char *err, size_t errlen)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd == -1) {
		snprintf(err, errlen, "cannot open /dev/urandom: %s", strerror(errno));
		return false;
	}
	while (got < n) {
		ssize_t r = read(fd, bytes + got, n - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "cannot read /dev/urandom: %s",
			         r == 0 ? "end of file" : strerror(errno));
			close(fd);
			return false;
		}
		got += (size_t)r;
	}
	close(fd);
	return true;
}

static bool random_password(char *out, char *err, size_t errlen)
{
	/* 128 bytes leave room for the ~3% rejected; retry in the (absurd) case they don't. */
	for (int attempt = 0; attempt < 8; attempt++) {
		unsigned char bytes[128];

		if (!read_random(bytes, sizeof(bytes), err, errlen))
			return false;
		if (lab_password_from_bytes(bytes, sizeof(bytes), out, LAB_SECRET_LEN))
			return true;
	}
	snprintf(err, errlen, "/dev/urandom returned too few usable bytes");
	return false;
}

bool lab_secrets_generate(struct lab_secrets *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		if (!random_password(field(s, i), err, errlen))
			return false;
	}
	return true;
}

bool lab_secrets_save(const struct lab_secrets *s, const char *secrets_dir, char *err,
                      size_t errlen)
{
	if (!fs_mkdir_p(secrets_dir, 0700) || chmod(secrets_dir, 0700) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", secrets_dir, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		char *path = xasprintf("%s/%s", secrets_dir, fields[i].file);
		char *line = xasprintf("%s\n", field_c(s, i));
		bool ok = fs_write_atomic(path, line, strlen(line), 0600);

		if (!ok)
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		free(line);
		free(path);
		if (!ok)
			return false;
	}
	return true;
}

static bool load_one(const char *path, char *out, char *err, size_t errlen)
{
	char *text = fs_read_file(path, NULL);
	bool ok;

	if (text == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	str_trim(text);
	ok = text[0] != '\0' && strspn(text, alphabet) == strlen(text) &&
	     str_copy(out, LAB_SECRET_LEN, text);
	if (!ok)
		snprintf(err, errlen, "%s: expected one password of at most %d letters and digits",
		         path, LAB_SECRET_LEN - 1);
	free(text);
	return ok;
}

bool lab_secrets_load(struct lab_secrets *s, const char *secrets_dir, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		char *path = xasprintf("%s/%s", secrets_dir, fields[i].file);
		bool ok = (fields[i].since_tls && !fs_exists(path)) ||
		          load_one(path, field(s, i), err, errlen);

		free(path);
		if (!ok)
			return false;
	}
	return true;
}
