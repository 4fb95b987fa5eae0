# slow_http.py PORT PATH PER_ADDR N_ADDRS [CAFILE]: slow-header HTTP clients, for the tests
# of the request deadline and the per-address limits (070_hardening.sh,
# 42_router_hostile.sh).
#
# Opens PER_ADDR connections to 127.0.0.1:PORT from each of N_ADDRS source addresses
# (127.0.0.2 on), with CAFILE over TLS (the handshake finished first: the deadline must
# hold for what comes inside TLS, not only for a handshake that never ends), sends the
# start of a GET PATH head and then one header byte a second, so that no connection is
# ever idle. Prints "open" once all are connected, then, when all are closed by the
# server or after 16 s, "open N, closed M, the last after S s" (a connection over a
# per-address cap closed in its TLS handshake counts as opened and closed).
import socket, ssl, sys, time

port, path, per_addr, n_addrs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ca = sys.argv[5] if len(sys.argv) > 5 else ""
ctx = ssl.create_default_context(cafile=ca) if ca else None
socks, refused = [], 0
for a in range(n_addrs):
    for _ in range(per_addr):
        s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                     source_address=("127.0.0.%d" % (a + 2), 0))
        try:
            if ctx:
                s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
print("open", flush=True)
t0, closed = time.time(), {}
while time.time() - t0 < 16 and len(closed) < len(socks):
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            if s.recv(1) == b"":
                closed[i] = time.time() - t0
                continue
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except OSError:
            closed[i] = time.time() - t0
            continue
        try:
            s.send(b"X")  # one header byte every second: never idle
        except OSError:
            closed[i] = time.time() - t0
    time.sleep(1)
late = sorted(closed.values())
print("open %d, closed %d, the last after %.0f s" % (len(socks) + refused, len(late) + refused,
                                                    late[-1] if late else -1))
