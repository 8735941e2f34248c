#!/bin/bash
# Real TLS on a real link (run as root): two network namespaces of our own
# joined by a veth (MTU 1500, so a certificate chain spans segments);
# openssl s_server and s_client talk TLS 1.2 with a 4096-bit RSA certificate,
# then TLS 1.3 where the server insists on P-256 (a HelloRetryRequest);
# dumpcap records the client's side. Everything is removed on exit.
#   tests/make_tls_pcaps.sh tests/data/pcaps
set -u
OUT=$1; A=tutt-srv-$$; B=tutt-cli-$$; D=$(mktemp -d)
cleanup() { ip netns pids $A 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids $B 2>/dev/null | xargs -r kill 2>/dev/null; sleep 0.3; ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; rm -rf $D; }
trap cleanup EXIT INT TERM
ip netns add $A; ip netns add $B
ip link add ta$$ type veth peer name tb$$
ip link set ta$$ netns $A; ip link set tb$$ netns $B
ip -n $A addr add 192.0.2.1/24 dev ta$$; ip -n $B addr add 192.0.2.2/24 dev tb$$
ip -n $A link set ta$$ up; ip -n $B link set tb$$ up
# A tbf queue with a burst of one frame splits the kernel's large (GSO) segments
# into frames of at most the MTU, as a real link would carry them.
ip netns exec $A tc qdisc replace dev ta$$ root tbf rate 1gbit burst 1600 limit 200kb
ip netns exec $B tc qdisc replace dev tb$$ root tbf rate 1gbit burst 1600 limit 200kb
openssl req -x509 -newkey rsa:4096 -nodes -keyout $D/key.pem -out $D/cert.pem -days 30 -subj "/CN=shop.example" -addext "subjectAltName=DNS:shop.example" 2>/dev/null
run() {  # $1 name, $2 server args, $3 client args
  ip netns exec $A openssl s_server -accept 4433 -cert $D/cert.pem -key $D/key.pem -www $2 >/dev/null 2>&1 &
  sleep 0.5
  ip netns exec $B dumpcap -q -i tb$$ -w $D/$1.pcapng -f "tcp port 4433" >/dev/null 2>&1 &
  local cap=$!
  sleep 1.0
  echo -e "GET / HTTP/1.0\r\n\r\n" | ip netns exec $B timeout 5 openssl s_client -connect 192.0.2.1:4433 -servername shop.example $3 -quiet >/dev/null 2>&1
  sleep 0.5; kill $cap; sleep 0.5
  ip netns pids $A | xargs -r kill 2>/dev/null; sleep 0.3
  cp $D/$1.pcapng "$OUT/$1.pcapng"
}
run tls12-cert "" "-tls1_2"
run tls13-hrr "-groups P-256" "-tls1_3 -groups X25519:P-256"
