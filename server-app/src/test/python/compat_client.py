#!/usr/bin/env python3
"""A client for logwire's tutorial-compatible listeners (PROTOCOL.md Appendix A), written
like the tutorial's own clients: plain socket + struct + json (ssl only for --tls).

  compat_client.py upload HOST PORT [--tls CERT]         upload two sample entries (legacy)
  compat_client.py query  HOST PORT FILTER [--tls CERT]  query; prints the count and one entry a line
  compat_client.py search HOST PORT VALUE                JSON-header app: search
  compat_client.py double HOST PORT N                    JSON-header app: double (binary)
  compat_client.py negate HOST PORT N                    JSON-header app: negate (binary)
  compat_client.py echo   HOST PORT TEXT                 echo: prints what came back
"""
import json
import socket
import struct
import sys


def connect(host, port, cert=None):
    sock = socket.create_connection((host, int(port)), timeout=10)
    if cert:
        import ssl
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        sock = ctx.wrap_socket(sock)
    return sock


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def pack_entry(username, ip, port, access_time, sent, received, score, server):
    # The tutorial's send_log_entry: struct format !HHH{u}s{i}s{s}sHIIIf
    u, i, s = username.encode(), ip.encode(), server.encode()
    return struct.pack("!HHH%ds%ds%dsHIIIf" % (len(u), len(i), len(s)),
                       len(u), len(i), len(s), u, i, s, port, access_time, sent, received, score)


def read_entry(sock):
    u, i, s = struct.unpack("!HHH", recv_exactly(sock, 6))
    strings = recv_exactly(sock, u + i + s)
    port, access_time, sent, received, score = struct.unpack("!HIIIf", recv_exactly(sock, 18))
    return (strings[:u].decode(), strings[u:u + i].decode(), port, access_time, sent, received, score,
            strings[u + i:].decode())


def upload(sock):
    entries = [pack_entry("alice", "10.0.0.1", 80, 1700000000, 512, 2048, 0.5, "web-01"),
               pack_entry("bob", "10.0.0.2", 443, 1700000060, 100, 9000, 0.9, "web-02")]
    sock.sendall(struct.pack("!HI", 1, len(entries)) + b"".join(entries))
    print("uploaded %d entries" % len(entries))


def query(sock, text):
    f = text.encode()
    sock.sendall(struct.pack("!HI", 2, len(f)) + f)
    (count,) = struct.unpack("!I", recv_exactly(sock, 4))
    print("%d entries" % count)
    for _ in range(count):
        username, ip, port, access_time, sent, received, score, server = read_entry(sock)
        print("%s %s %d %d %d %d %.2f %s" % (username, ip, port, access_time, sent, received, score, server))


def app_request(host, port, content, content_type, encoding):
    header = {"byteorder": sys.byteorder, "content-type": content_type,
              "content-encoding": encoding, "content-length": len(content)}
    header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    with connect(host, port) as sock:
        sock.sendall(struct.pack(">H", len(header_bytes)) + header_bytes + content)
        (header_length,) = struct.unpack(">H", recv_exactly(sock, 2))
        reply_header = json.loads(recv_exactly(sock, header_length).decode("utf-8"))
        for key in ("byteorder", "content-length", "content-type", "content-encoding"):
            if key not in reply_header:
                raise ValueError("missing required header %r" % key)
        reply = recv_exactly(sock, reply_header["content-length"])
        if sock.recv(1) != b"":
            raise ValueError("the server did not close after its reply")
    if reply_header["content-type"] == "text/json":
        print(json.loads(reply.decode(reply_header["content-encoding"]))["result"])
    elif len(reply) == 10 and reply[:6] == b"result":
        print("result %d" % struct.unpack(">6si", reply)[1])
    else:
        print(repr(reply))


def main(argv):
    cert = None
    if "--tls" in argv:
        k = argv.index("--tls")
        cert = argv[k + 1]
        del argv[k:k + 2]
    command, host, port = argv[1], argv[2], argv[3]
    if command == "upload":
        with connect(host, port, cert) as sock:
            upload(sock)
    elif command == "query":
        with connect(host, port, cert) as sock:
            query(sock, argv[4])
    elif command == "search":
        content = json.dumps({"action": "search", "value": argv[4]}, ensure_ascii=False).encode("utf-8")
        app_request(host, port, content, "text/json", "utf-8")
    elif command in ("double", "negate"):
        app_request(host, port, struct.pack(">6si", command.encode(), int(argv[4])),
                    "binary/custom-client-binary-type", "binary")
    elif command == "echo":
        data = argv[4].encode()
        with connect(host, port) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            echoed = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                echoed += chunk
        print(echoed.decode())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
