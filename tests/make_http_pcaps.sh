#!/bin/bash
# HTTP/1.1 messages that span TCP segments (run as root; Debian packages:
# curl dumpcap python3): two network namespaces of our own joined by a veth
# (192.0.2.1 the server, 192.0.2.2 the client, RFC 5737 documentation
# addresses that exist only inside them; MTU 1500 and a tbf queue so large
# writes leave as frames of at most the MTU). A small python http.server
# answers with a Content-Length body, a chunked body, gzip and deflate
# bodies (chunked and not); curl asks on one kept-alive connection, then
# POSTs a body and sends a long header; dumpcap records the client's side.
# Everything is removed on exit.
#   tests/make_http_pcaps.sh tests/data/programs
set -u
OUT=$1
A=tuth-srv-$$; B=tuth-cli-$$; D=$(mktemp -d); chmod 755 $D
cleanup() {
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.3
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $ns 2>/dev/null; done
  rm -rf $D
}
trap cleanup EXIT INT TERM
ip netns add $A; ip netns add $B
ip link add ha$$ type veth peer name hb$$
ip link set ha$$ netns $A; ip link set hb$$ netns $B
ip -n $A addr add 192.0.2.1/24 dev ha$$; ip -n $B addr add 192.0.2.2/24 dev hb$$
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set ha$$ up; ip -n $B link set hb$$ up
ip netns exec $A tc qdisc replace dev ha$$ root tbf rate 1gbit burst 1600 limit 200kb
ip netns exec $B tc qdisc replace dev hb$$ root tbf rate 1gbit burst 1600 limit 200kb
ip netns exec $A ethtool -K ha$$ tso off gso off >/dev/null 2>&1
ip netns exec $B ethtool -K hb$$ tso off gso off >/dev/null 2>&1
cat > $D/server.py <<'PY'
import gzip, http.server, zlib

TEXT = b"".join(b"line %04d: the quick brown fox jumps over the lazy dog\n" % i for i in range(120))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, body, ctype="text/plain; charset=utf-8", encoding=None, chunks=0):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        if chunks:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            step = max(1, len(body) // chunks + 1)
            for i in range(0, len(body), step):
                part = body[i : i + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        path = self.path
        if path == "/text":
            self.send(TEXT)
        elif path == "/chunked":
            self.send(TEXT, chunks=4)
        elif path == "/gzip":
            self.send(gzip.compress(TEXT, mtime=0), encoding="gzip")
        elif path == "/deflate":
            self.send(zlib.compress(TEXT), encoding="deflate")
        elif path == "/chunked-gzip":
            self.send(gzip.compress(TEXT * 4, mtime=0), encoding="gzip", chunks=3)
        elif path == "/json":
            self.send(b'{"ok": true, "items": [1, 2, 3]}', ctype="application/json")
        else:
            self.send(b"not here\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        got = self.rfile.read(n)
        self.send(b"received %d bytes\n" % len(got))


http.server.ThreadingHTTPServer(("192.0.2.1", 80), Handler).serve_forever()
PY
ip netns exec $A python3 -I $D/server.py &
sleep 0.8
ip netns exec $B dumpcap -q -i hb$$ -w $D/http-reassembly.pcapng -f "tcp port 80" >/dev/null 2>&1 &
CAP=$!
sleep 1.0
U=http://192.0.2.1
ip netns exec $B curl -s $U/text $U/chunked $U/gzip $U/deflate $U/chunked-gzip $U/json >/dev/null
head -c 6000 /dev/zero | tr '\0' 'a' > $D/form
ip netns exec $B curl -s -o /dev/null -H "Content-Type: text/plain" --data-binary @$D/form $U/upload
ip netns exec $B curl -s -o /dev/null -H "X-Long: $(head -c 3000 /dev/zero | tr '\0' 'b')" $U/json
sleep 0.5; kill $CAP; wait $CAP 2>/dev/null
cp $D/http-reassembly.pcapng "$OUT/http-reassembly.pcapng"; chmod 644 "$OUT/http-reassembly.pcapng"
echo "http-reassembly: $(tshark -r "$OUT/http-reassembly.pcapng" 2>/dev/null | wc -l) packets"
