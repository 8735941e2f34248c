#!/bin/bash
# Write a capture of real loss (run as root): two network namespaces of our own
# joined by a veth whose tbf queue is too small for the server's bursts, so
# the kernel drops segments; curl fetches SIZE bytes from python's http.server
# and dumpcap records the client's side. Everything is removed on exit.
#   SIZE=60000 tests/make_lossy_pcap.sh tests/data/pcaps/lossy-http.pcapng
set -u
A=tutx-srv-$$; B=tutx-cli-$$; D=$(mktemp -d)
cleanup() { ip netns pids $A 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids $B 2>/dev/null | xargs -r kill 2>/dev/null; sleep 0.3; ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; rm -rf $D; }
trap cleanup EXIT INT TERM
ip netns add $A; ip netns add $B
ip link add va$$ type veth peer name vb$$
ip link set va$$ netns $A; ip link set vb$$ netns $B
ip -n $A addr add 192.0.2.1/24 dev va$$; ip -n $B addr add 192.0.2.2/24 dev vb$$
ip -n $A link set va$$ up; ip -n $B link set vb$$ up; ip -n $A link set lo up; ip -n $B link set lo up
ip netns exec $A tc qdisc replace dev va$$ root tbf rate ${RATE:-2mbit} burst ${BURST:-8kb} limit ${LIMIT:-6kb}
head -c ${SIZE:-300000} /dev/urandom > $D/blob.bin
ip netns exec $A python3 -m http.server 8080 --bind 192.0.2.1 --directory $D >/dev/null 2>&1 &
sleep 0.7
ip netns exec $B dumpcap -q -i vb$$ -w $D/cap.pcapng -f "tcp port 8080" >/dev/null 2>&1 &
sleep 1.0
ip netns exec $B curl -s -o /dev/null http://192.0.2.1:8080/blob.bin
sleep 0.5
kill %2 2>/dev/null; sleep 0.5
cp $D/cap.pcapng "$1"
