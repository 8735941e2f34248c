#!/bin/bash
# FTP data connections whose addresses are not the control connection's
# (issue 10): Python's ftplib against pyftpdlib, in network namespaces of our
# own, recorded by dumpcap. Run as root from the repository (Debian packages
# dumpcap, iproute2, nftables; pyftpdlib from tutor's venv). Everything made
# here is removed on exit.
#   tests/make_ftp_addresses.sh tests/data/programs
# ftp-lo2:      on loopback; the control connection is 127.0.0.1 to 127.0.0.1,
#               the client offers 127.0.0.2 with EPRT, then with PORT
#               (pyftpdlib's permit_foreign_addresses lets it).
# ftp-samehost: one host on 192.0.2.1 (an address on its lo) is client and
#               server; it offers its own address with EPRT, then with PORT.
# ftp-nat:      the server (198.51.100.2) is behind a router that DNATs
#               203.0.113.1 port 21 and 60000-60009 to it (nftables); it
#               announces 203.0.113.1 in its PASV reply (masquerade_address),
#               and the client (203.0.113.2) connects there; dumpcap records
#               the server's side, where the data connection goes to
#               198.51.100.2, not to the announced address.
set -u
OUT=$(realpath "$1")
PY=${PYTHON:-$(pwd)/.venv/bin/python}
T=tutf-$$; D=$(mktemp -d); chmod 755 $D
NSS="$T-a $T-b $T-c $T-r $T-s"
cleanup() {
  for ns in $NSS; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.3
  for ns in $NSS; do ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $ns 2>/dev/null; done
  rm -rf $D
}
trap cleanup EXIT INT TERM
mkdir -p $D/root; echo "hello over ftp" > $D/root/hello.txt; chmod -R a+rX $D/root

cat > $D/server.py <<'EOF'
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
root, address, masquerade = sys.argv[1], sys.argv[2], sys.argv[3]
authorizer = DummyAuthorizer()
authorizer.add_anonymous(root, perm="elr")
FTPHandler.authorizer = authorizer
FTPHandler.permit_foreign_addresses = True
FTPHandler.passive_ports = range(60000, 60010)
if masquerade != "-":
    FTPHandler.masquerade_address = masquerade
FTPServer((address, 21), FTPHandler).serve_forever()
EOF
cat > $D/client.py <<'EOF'
import ftplib, socket, sys
server, offer = sys.argv[1], sys.argv[2]
ftp = ftplib.FTP()
ftp.connect(server, 21, timeout=10)
ftp.login()
if offer == "passive":
    with ftp.transfercmd("RETR hello.txt") as conn:
        while conn.recv(4096):
            pass
    ftp.voidresp()
else:
    for command in (ftp.sendeprt, ftp.sendport):
        with socket.create_server((offer, 0)) as listener:
            command(offer, listener.getsockname()[1])
            ftp.sendcmd("RETR hello.txt")
            conn, _ = listener.accept()
            with conn:
                while conn.recv(4096):
                    pass
        ftp.voidresp()
ftp.quit()
EOF

netns() { ip netns add $1; ip -n $1 link set lo up; }
# capture NAMESPACE INTERFACE NAME SERVER-NS SERVER-ADDR MASQUERADE CLIENT-NS CLIENT-ARGS...
capture() {
  local ns=$1 dev=$2 name=$3 sns=$4 saddr=$5 masq=$6 cns=$7; shift 7
  ip netns exec $sns $PY -I $D/server.py $D/root $saddr $masq >/dev/null 2>&1 &
  ip netns exec $ns dumpcap -q -i $dev -f tcp -w $D/$name.pcapng >/dev/null 2>&1 & local cap=$!
  sleep 1.0
  ip netns exec $cns $PY -I $D/client.py "$@"
  sleep 0.5; kill $cap; wait $cap 2>/dev/null
  ip netns pids $sns | xargs -r kill 2>/dev/null; sleep 0.3
  cp $D/$name.pcapng "$OUT/$name.pcapng"; chmod 644 "$OUT/$name.pcapng"
  echo "$name: $(tshark -r "$OUT/$name.pcapng" 2>/dev/null | wc -l) packets"
}

# (a) loopback, another loopback address offered
netns $T-a
capture $T-a lo ftp-lo2 $T-a 127.0.0.1 - $T-a 127.0.0.1 127.0.0.2

# (b) one host, its own non-loopback address
netns $T-b
ip -n $T-b addr add 192.0.2.1/32 dev lo
capture $T-b lo ftp-samehost $T-b 192.0.2.1 - $T-b 192.0.2.1 192.0.2.1

# (c) PASV behind DNAT: client -- router -- server, recorded on the server's side
netns $T-c; netns $T-r; netns $T-s
ip link add c$$ type veth peer name rc$$; ip link set c$$ netns $T-c; ip link set rc$$ netns $T-r
ip link add s$$ type veth peer name rs$$; ip link set s$$ netns $T-s; ip link set rs$$ netns $T-r
ip -n $T-c addr add 203.0.113.2/24 dev c$$; ip -n $T-r addr add 203.0.113.1/24 dev rc$$
ip -n $T-s addr add 198.51.100.2/24 dev s$$; ip -n $T-r addr add 198.51.100.1/24 dev rs$$
for l in "$T-c c$$" "$T-r rc$$" "$T-r rs$$" "$T-s s$$"; do set -- $l; ip -n $1 link set $2 up; done
ip -n $T-s route add default via 198.51.100.1
ip netns exec $T-r sysctl -qw net.ipv4.ip_forward=1
ip netns exec $T-r nft -f - <<EOF
table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr 203.0.113.1 tcp dport { 21, 60000-60009 } dnat to 198.51.100.2
  }
}
EOF
capture $T-s s$$ ftp-nat $T-s 198.51.100.2 203.0.113.1 $T-c 203.0.113.1 passive
