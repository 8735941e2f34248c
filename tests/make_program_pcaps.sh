#!/bin/bash
# Captures of other programs' traffic (run as root; Debian packages:
# dnsmasq-base isc-dhcp-client chrony ntpsec-ntpdate tftpd-hpa dovecot-imapd
# dovecot-pop3d samba-common-bin telnet curl dumpcap unbound wget nodejs openssl
# dnsutils nmap arping traceroute iputils-ping). Two network namespaces
# of our own joined by a veth (192.0.2.1 the server, 192.0.2.2 the client,
# RFC 5737 documentation addresses that exist only inside them); each server
# runs in one, each client in the other, and dumpcap records the client's
# side. Nothing here is tutor's: the bytes are the programs'. Everything is
# removed on exit. NAME is a function below (one may write several captures).
#   PYTHON=.venv/bin/python tests/make_program_pcaps.sh tests/data/programs [NAME ...]
set -u
OUT=$1; shift
A=tutp-srv-$$; B=tutp-cli-$$; D=$(mktemp -d); chmod 755 $D
cleanup() {
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; done
  sleep 0.3
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $ns 2>/dev/null; done
  rm -rf $D
}
trap cleanup EXIT INT TERM
ip netns add $A; ip netns add $B
ip link add pa$$ type veth peer name pb$$
ip link set pa$$ netns $A; ip link set pb$$ netns $B
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set pa$$ up; ip -n $B link set pb$$ up
SA="ip netns exec $A"; CL="ip netns exec $B"

address() { ip -n $A addr add 192.0.2.1/24 dev pa$$; ip -n $B addr add 192.0.2.2/24 dev pb$$; }
unaddress() { ip -n $A addr flush dev pa$$; ip -n $B addr flush dev pb$$; }
start_capture() { $CL dumpcap -q -i pb$$ -w $D/$1.pcapng ${2:+-f "$2"} >/dev/null 2>&1 & CAP=$!; sleep 1.0; }
stop_capture() { sleep 0.5; kill $CAP; wait $CAP 2>/dev/null; cp $D/$1.pcapng "$OUT/$1.pcapng"; chmod 644 "$OUT/$1.pcapng"; echo "$1: $(tshark -r "$OUT/$1.pcapng" 2>/dev/null | wc -l) packets"; }
stop_servers() { ip netns pids $A | xargs -r kill 2>/dev/null; sleep 0.3; }

# DHCP: dnsmasq leases an address to dhclient (DISCOVER, OFFER, REQUEST, ACK), which then releases it.
dhcp() {
  ip -n $A addr add 192.0.2.1/24 dev pa$$
  $SA dnsmasq --no-daemon --port=0 --interface=pa$$ --dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h \
    --dhcp-option=option:router,192.0.2.1 --dhcp-leasefile=$D/leases --pid-file=$D/dnsmasq.pid >/dev/null 2>&1 &
  sleep 0.5; start_capture dhcp "udp port 67 or udp port 68"
  $CL timeout 20 dhclient -1 -v -lf $D/dhclient.leases -pf $D/dhclient.pid -sf /bin/true pb$$ >/dev/null 2>&1
  $CL timeout 10 dhclient -r -lf $D/dhclient.leases -pf $D/dhclient.pid -sf /bin/true pb$$ >/dev/null 2>&1
  stop_capture dhcp; stop_servers; unaddress
}

# NTP: chronyd serves time, ntpdate (NTPsec) asks it.
ntp() {
  address
  printf 'local stratum 8\nallow 192.0.2.0/24\nbindaddress 192.0.2.1\nport 123\ncmdport 0\npidfile %s/chrony.pid\ndriftfile %s/drift\n' $D $D > $D/chrony.conf
  $SA chronyd -f $D/chrony.conf -d -x >/dev/null 2>&1 &
  sleep 1.0; start_capture ntp "udp port 123"
  $CL timeout 10 ntpdate -q 192.0.2.1 >/dev/null 2>&1
  stop_capture ntp; stop_servers; unaddress
}

# TFTP: in.tftpd serves a file, curl fetches it (RRQ, OACK/DATA, ACKs).
tftp() {
  address; mkdir -p $D/tftp; head -c 1800 /usr/share/common-licenses/GPL-3 > $D/tftp/notes.txt; chmod -R a+rX $D/tftp
  $SA in.tftpd --foreground --address 192.0.2.1:69 --secure $D/tftp >/dev/null 2>&1 &
  sleep 0.5; start_capture tftp "udp"
  $CL curl -s -o /dev/null tftp://192.0.2.1/notes.txt
  $CL tftp 192.0.2.1 -c get missing.txt $D/missing.txt >/dev/null 2>&1
  stop_capture tftp; stop_servers; unaddress
}

# POP3 and IMAP: dovecot with one user, curl lists and reads the mailbox.
mail() {
  address; mkdir -p $D/mail/demo; chmod -R 777 $D/mail
  printf 'From: a@example.org\nTo: demo@example.org\nSubject: hello\n\nHi there.\n' > $D/mail/demo/msg
  cat > $D/dovecot.conf <<CONF
protocols = pop3 imap
listen = 192.0.2.1
base_dir = $D/dovecot-run
state_dir = $D/dovecot-state
log_path = $D/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = mbox:$D/mail/%u:INBOX=$D/mail/%u/inbox
passdb {
  driver = static
  args = password=demo-password
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$D/mail/%u
}
default_internal_user = nobody
default_login_user = nobody
CONF
  cp $D/mail/demo/msg $D/mail/demo/inbox; printf 'From a@example.org Mon Nov 30 10:00:00 2026\n' | cat - $D/mail/demo/msg > $D/mail/demo/inbox; chmod 666 $D/mail/demo/inbox
  $SA dovecot -F -c $D/dovecot.conf >/dev/null 2>&1 &
  sleep 1.5; start_capture pop3 "tcp port 110"
  $CL curl -s -u demo:demo-password pop3://192.0.2.1/ >/dev/null
  $CL curl -s -u demo:demo-password pop3://192.0.2.1/1 >/dev/null
  stop_capture pop3
  start_capture imap "tcp port 143"
  $CL curl -s -u demo:demo-password imap://192.0.2.1/INBOX >/dev/null
  $CL curl -s -u demo:demo-password 'imap://192.0.2.1/INBOX;UID=1' >/dev/null
  stop_capture imap; stop_servers; unaddress
}

# NetBIOS name service: nmblookup asks for a name by broadcast, then asks a
# host's name table by unicast (nobody answers: the queries and ICMP port unreachable).
nbns() {
  address; start_capture nbns "udp port 137 or icmp"
  $CL timeout 5 nmblookup -B 192.0.2.255 FILESERVER >/dev/null 2>&1
  $CL timeout 5 nmblookup -U 192.0.2.1 --recursion FILESERVER >/dev/null 2>&1
  stop_capture nbns; unaddress
}

# Telnet: the telnet client negotiates options with a server that asks for some (socat would do; python is enough).
telnet() {
  address
  $SA python3 -I -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("192.0.2.1", 23)); s.listen(1)
c, _ = s.accept()
c.sendall(bytes([255, 253, 24, 255, 253, 32, 255, 251, 1, 255, 251, 3]) + b"login: ")
c.settimeout(2)
try:
    while c.recv(1024): pass
except OSError: pass
c.close()' &
  sleep 0.5; start_capture telnet "tcp port 23"
  (sleep 1; printf 'demo\r\n'; sleep 1) | $CL timeout 4 telnet 192.0.2.1 23 >/dev/null 2>&1
  stop_capture telnet; stop_servers; unaddress
}

# mDNS (RFC 6762): python-zeroconf announces a web service in one namespace
# and asks for it from the other, by multicast to 224.0.0.251:5353.
# QUIC (RFC 9000): aioquic's client opens a connection to aioquic's server.
# SSDP: async-upnp-client searches for UPnP devices (M-SEARCH to 239.255.255.250:1900).
# These three need PYTHON=/path/to/a/venv/bin/python with zeroconf, aioquic and
# async-upnp-client; ftp needs pyftpdlib there (tutor's own venv has it).
PY=${PYTHON:-python3}
mdns() {
  address; ip -n $A route add 224.0.0.0/4 dev pa$$; ip -n $B route add 224.0.0.0/4 dev pb$$
  $SA $PY -I -c '
import socket, time
from zeroconf import ServiceInfo, Zeroconf
zc = Zeroconf(interfaces=["192.0.2.1"])
zc.register_service(ServiceInfo("_http._tcp.local.", "shop._http._tcp.local.", addresses=[socket.inet_aton("192.0.2.1")],
                                port=8080, properties={"path": "/api"}, server="shop.local."))
time.sleep(8); zc.close()' >/dev/null 2>&1 &
  sleep 3; start_capture mdns "udp port 5353"
  $CL $PY -I -c '
from zeroconf import Zeroconf
zc = Zeroconf(interfaces=["192.0.2.2"])
print(zc.get_service_info("_http._tcp.local.", "shop._http._tcp.local.", timeout=3000)); zc.close()' >/dev/null 2>&1
  stop_capture mdns; stop_servers; unaddress
}

quic() {
  address
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $D/qkey.pem -out $D/qcert.pem -days 30 -subj "/CN=shop.example" -addext "subjectAltName=DNS:shop.example" 2>/dev/null
  $SA $PY -I -c '
import asyncio, sys
from aioquic.asyncio import serve
from aioquic.quic.configuration import QuicConfiguration
async def main():
    c = QuicConfiguration(is_client=False, alpn_protocols=["hq-interop"])
    c.load_cert_chain(sys.argv[1], sys.argv[2])
    await serve("192.0.2.1", 4433, configuration=c)
    await asyncio.sleep(8)
asyncio.run(main())' $D/qcert.pem $D/qkey.pem >/dev/null 2>&1 &
  sleep 1.5; start_capture quic "udp port 4433"
  $CL $PY -I -c '
import asyncio, ssl
from aioquic.asyncio import connect
from aioquic.quic.configuration import QuicConfiguration
async def main():
    c = QuicConfiguration(is_client=True, alpn_protocols=["hq-interop"], server_name="shop.example")
    c.verify_mode = ssl.CERT_NONE
    async with connect("192.0.2.1", 4433, configuration=c) as client:
        await client.ping()
asyncio.run(main())' >/dev/null 2>&1
  stop_capture quic; stop_servers; unaddress
}

ssdp() {
  address; ip -n $B route add 224.0.0.0/4 dev pb$$
  start_capture ssdp "udp port 1900"
  $CL timeout 4 ${PY%/python}/upnp-client --timeout 2 search --bind 192.0.2.2 >/dev/null 2>&1
  stop_capture ssdp; unaddress
}

# ICMP: ping three times; then IPv6: neighbour discovery and ping6 (ping, iputils).
ping() {
  address; ip -n $A addr add 2001:db8::1/64 dev pa$$ nodad; ip -n $B addr add 2001:db8::2/64 dev pb$$ nodad
  start_capture ping "icmp or icmp6 or arp"
  $CL ping -c 3 -i 0.2 192.0.2.1 >/dev/null 2>&1
  $CL ping -6 -c 2 -i 0.2 2001:db8::1 >/dev/null 2>&1
  stop_capture ping; ip -n $A addr flush dev pa$$; ip -n $B addr flush dev pb$$
}

# DNS: dig asks dnsmasq (serving names from a hosts file) for A, AAAA, MX,
# TXT and a missing name over UDP, then an A over TCP.
dns() {
  address
  printf '192.0.2.10 shop.example\n2001:db8::10 shop.example\n' > $D/hosts
  $SA dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts=$D/hosts --listen-address=192.0.2.1 --bind-interfaces \
    --mx-host=shop.example,mail.shop.example,10 --txt-record=shop.example,"v=spf1 -all" --local=/example/ \
    --pid-file=$D/dnsmasq-dns.pid >/dev/null 2>&1 &
  sleep 0.7; start_capture dns "port 53"
  for t in A AAAA MX TXT; do $CL dig +tries=1 +time=2 @192.0.2.1 shop.example $t >/dev/null 2>&1; done
  $CL dig +tries=1 +time=2 @192.0.2.1 nothere.example A >/dev/null 2>&1
  $CL dig +tcp +tries=1 +time=2 @192.0.2.1 shop.example A >/dev/null 2>&1
  stop_capture dns; stop_servers; unaddress
}

# FTP: pyftpdlib serves a directory, curl lists it and downloads a file (passive mode).
ftp() {
  address; mkdir -p $D/ftp; echo "hello over ftp" > $D/ftp/hello.txt; chmod -R a+rX $D/ftp
  $SA $PY -I -c '
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_user("demo", "demo-password", sys.argv[1])
FTPHandler.authorizer = a
FTPServer(("192.0.2.1", 21), FTPHandler).serve_forever()' $D/ftp >/dev/null 2>&1 &
  sleep 1.0; start_capture ftp "tcp"
  $CL curl -s -u demo:demo-password ftp://192.0.2.1/ >/dev/null
  $CL curl -s -u demo:demo-password ftp://192.0.2.1/hello.txt >/dev/null
  stop_capture ftp; stop_servers; unaddress
}

# HTTPS: curl (TLS 1.3, ALPN) fetches from openssl s_server -www.
https() {
  address
  openssl req -x509 -newkey rsa:2048 -nodes -keyout $D/key.pem -out $D/cert.pem -days 30 -subj "/CN=shop.example" -addext "subjectAltName=DNS:shop.example" 2>/dev/null
  $SA openssl s_server -accept 443 -cert $D/cert.pem -key $D/key.pem -www >/dev/null 2>&1 &
  sleep 0.7; start_capture https "tcp port 443"
  $CL curl -sk --resolve shop.example:443:192.0.2.1 https://shop.example/ -o /dev/null
  stop_capture https; stop_servers; unaddress
}

# SMTP: curl sends a message to Python's smtpd debugging server (Debian's python3.11).
smtp() {
  address; printf 'From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello.\r\n' > $D/mail.txt
  $SA python3 -I -W ignore -m smtpd -n -c DebuggingServer 192.0.2.1:25 >/dev/null 2>&1 &
  sleep 1.0; start_capture smtp "tcp port 25"
  $CL curl -s --mail-from a@example.org --mail-rcpt b@example.org -T $D/mail.txt smtp://192.0.2.1/ >/dev/null
  stop_capture smtp; stop_servers; unaddress
}

# Fragments: ping sends 3000-byte echoes over a 1500-byte link, IPv4 then IPv6.
frag() {
  address; ip -n $A addr add 2001:db8::1/64 dev pa$$ nodad; ip -n $B addr add 2001:db8::2/64 dev pb$$ nodad
  start_capture frag "icmp or icmp6 or (ip[6:2] & 0x1fff != 0) or ip6[6] == 44"
  $CL ping -c 1 -s 3000 192.0.2.1 >/dev/null 2>&1
  $CL ping -6 -c 1 -s 3000 2001:db8::1 >/dev/null 2>&1
  stop_capture frag; ip -n $A addr flush dev pa$$; ip -n $B addr flush dev pb$$
}

# FTP in active mode (curl -P: PORT/EPRT, the server connects back) and a TFTP upload (tftp put: WRQ).
active() {
  address; mkdir -p $D/ftp $D/tftp; echo "hello over ftp" > $D/ftp/hello.txt; chmod -R a+rwX $D/ftp $D/tftp
  $SA $PY -I -c '
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_anonymous(sys.argv[1])
FTPHandler.authorizer = a
FTPServer(("192.0.2.1", 21), FTPHandler).serve_forever()' $D/ftp >/dev/null 2>&1 &
  $SA in.tftpd --foreground --address 192.0.2.1:69 --create --secure $D/tftp >/dev/null 2>&1 &
  sleep 1.0; start_capture ftp-active "tcp or udp"
  $CL curl -s -P 192.0.2.2 ftp://192.0.2.1/hello.txt >/dev/null
  head -c 700 /usr/share/common-licenses/GPL-3 > $D/up.txt
  (cd $D && $CL tftp 192.0.2.1 -m octet -c put up.txt >/dev/null 2>&1)
  stop_capture ftp-active; stop_servers; unaddress
}

# Refused: curl to a closed TCP port (RST), then a UDP datagram to a closed port (ICMP port unreachable).
refused() {
  address; start_capture refused ""
  $CL curl -s --max-time 2 http://192.0.2.1:8081/ >/dev/null
  $CL bash -c 'echo hi > /dev/udp/192.0.2.1/9999' 2>/dev/null; sleep 0.3
  stop_capture refused; unaddress
}

# No answer: curl to an address whose frames nobody takes (a static neighbour
# entry to a MAC no one has): its SYN and the kernel's resends, nothing back,
# as behind a firewall that drops.
noanswer() {
  address; ip -n $B neigh add 192.0.2.9 lladdr 02:00:00:00:00:99 dev pb$$
  start_capture no-answer "tcp"
  $CL curl -s --connect-timeout 3.5 https://192.0.2.9/ >/dev/null
  stop_capture no-answer; ip -n $B neigh del 192.0.2.9 dev pb$$; unaddress
}

# HTTP/2 without TLS (h2c): curl with prior knowledge to Node's built-in http2 server.
h2c() {
  address
  $SA node -e '
const http2 = require("http2");
http2.createServer((req, res) => { res.setHeader("content-type", "application/json"); res.end(JSON.stringify({orders: [1, 2, 3]})); })
  .listen(8080, "192.0.2.1"); setTimeout(() => process.exit(0), 8000);' >/dev/null 2>&1 &
  sleep 1.0; start_capture h2c "tcp port 8080"
  $CL curl -s --http2-prior-knowledge http://192.0.2.1:8080/orders http://192.0.2.1:8080/orders >/dev/null
  stop_capture h2c; stop_servers; unaddress
}

# WebSocket: the websockets library's own client and server exchange a text message and close.
websocket() {
  address
  $SA $PY -I -c '
import asyncio
from websockets.asyncio.server import serve
async def echo(ws):
    async for m in ws: await ws.send(m)
async def main():
    async with serve(echo, "192.0.2.1", 8765): await asyncio.sleep(6)
asyncio.run(main())' >/dev/null 2>&1 &
  sleep 1.0; start_capture websocket "tcp port 8765"
  $CL $PY -I -c '
import asyncio
from websockets.asyncio.client import connect
async def main():
    async with connect("ws://192.0.2.1:8765/feed", compression=None) as ws:
        await ws.send("hello"); await ws.recv()
asyncio.run(main())' >/dev/null 2>&1
  stop_capture websocket; stop_servers; unaddress
}

# A port scan: nmap's SYN scan of the first 100 ports of a host with two open (22 and 80: python listeners).
scan() {
  address
  $SA python3 -I -c '
import socket, time
ss = []
for p in (22, 80):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("192.0.2.1", p)); s.listen(5); ss.append(s)
time.sleep(10)' >/dev/null 2>&1 &
  sleep 0.7; start_capture scan "host 192.0.2.1"
  $CL nmap -n -Pn -sS -p 1-100 --max-retries 0 192.0.2.1 >/dev/null 2>&1
  stop_capture scan; stop_servers; unaddress
}

# ARP: arping asks three times who has 192.0.2.1.
arp() {
  address; start_capture arp "arp"
  $CL arping -c 3 -w 3 -I pb$$ 192.0.2.1 >/dev/null 2>&1
  stop_capture arp; unaddress
}

# Traceroute (UDP, then ICMP with -I, then TCP SYN with -T) through two routers of our own:
# client (198.51.100.0/24) - r1 - (203.0.113.0/30) - r2 - server (192.0.2.0/24).
trace() {
  local R1=tutp-r1-$$ R2=tutp-r2-$$
  ip netns add $R1; ip netns add $R2
  ip link add ta$$ type veth peer name tb$$; ip link add tc$$ type veth peer name td$$
  ip link set ta$$ netns $R1; ip link set pb$$ netns $B 2>/dev/null
  ip link set tb$$ netns $R1; ip link set tc$$ netns $R2; ip link set td$$ netns $R2
  # reuse the pair: pa (server side) goes to r2's peer, pb stays in the client
  ip link add tr1$$ type veth peer name tr2$$; ip link set tr1$$ netns $R1; ip link set tr2$$ netns $R2
  ip link del ta$$ 2>/dev/null; ip link del tc$$ 2>/dev/null
  ip link add ua$$ type veth peer name ub$$; ip link set ua$$ netns $B; ip link set ub$$ netns $R1
  ip link add uc$$ type veth peer name ud$$; ip link set uc$$ netns $R2; ip link set ud$$ netns $A
  ip -n $B addr add 198.51.100.2/24 dev ua$$; ip -n $R1 addr add 198.51.100.1/24 dev ub$$
  ip -n $R1 addr add 203.0.113.1/30 dev tr1$$; ip -n $R2 addr add 203.0.113.2/30 dev tr2$$
  ip -n $R2 addr add 192.0.2.254/24 dev uc$$; ip -n $A addr add 192.0.2.1/24 dev ud$$
  for x in "$B ua$$" "$R1 ub$$" "$R1 tr1$$" "$R2 tr2$$" "$R2 uc$$" "$A ud$$"; do set -- $x; ip -n $1 link set $2 up; done
  ip -n $R1 link set lo up; ip -n $R2 link set lo up
  ip netns exec $R1 sysctl -qw net.ipv4.ip_forward=1; ip netns exec $R2 sysctl -qw net.ipv4.ip_forward=1
  ip -n $B route add default via 198.51.100.1; ip -n $A route add default via 192.0.2.254
  ip -n $R1 route add 192.0.2.0/24 via 203.0.113.2; ip -n $R2 route add 198.51.100.0/24 via 203.0.113.1
  $SA python3 -I -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("192.0.2.1", 80)); s.listen(5); time.sleep(12)' >/dev/null 2>&1 &
  sleep 0.5
  $CL dumpcap -q -i ua$$ -w $D/traceroute.pcapng >/dev/null 2>&1 & CAP=$!; sleep 1.0
  $CL traceroute -n -q 1 -w 1 192.0.2.1 >/dev/null 2>&1
  $CL traceroute -n -q 1 -w 1 -I 192.0.2.1 >/dev/null 2>&1
  $CL traceroute -n -q 1 -w 1 -T -p 80 192.0.2.1 >/dev/null 2>&1
  stop_capture traceroute; stop_servers
  ip netns pids $R1 | xargs -r kill 2>/dev/null; ip netns pids $R2 | xargs -r kill 2>/dev/null
  ip netns del $R1; ip netns del $R2
}

# TLS 1.2 from curl (--tls-max 1.2, an ECDSA certificate), then TLS 1.3 from openssl s_client twice:
# the second connection resumes the first's session with the ticket it was sent (a PSK).
tls2() {
  address
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $D/ekey.pem -out $D/ecert.pem -days 30 -subj "/CN=shop.example" -addext "subjectAltName=DNS:shop.example" 2>/dev/null
  $SA openssl s_server -accept 443 -cert $D/ecert.pem -key $D/ekey.pem -www >/dev/null 2>&1 &
  sleep 0.7; start_capture https-tls12 "tcp port 443"
  $CL curl -sk --tls-max 1.2 --resolve shop.example:443:192.0.2.1 https://shop.example/ -o /dev/null
  stop_capture https-tls12; start_capture tls13-resume "tcp port 443"
  printf 'GET / HTTP/1.0\r\n\r\n' | $CL timeout 5 openssl s_client -connect 192.0.2.1:443 -servername shop.example -tls1_3 -sess_out $D/sess -ign_eof >/dev/null 2>&1
  printf 'GET / HTTP/1.0\r\n\r\n' | $CL timeout 5 openssl s_client -connect 192.0.2.1:443 -servername shop.example -tls1_3 -sess_in $D/sess -ign_eof >/dev/null 2>&1
  stop_capture tls13-resume; stop_servers; unaddress
}

# Node's http server answers gzip, chunked (no Content-Length), in two writes, and a redirect;
# curl --compressed asks over IPv4 and IPv6, then wget follows the redirect. TSO/GSO off
# and a tbf queue so a large write leaves as frames of at most the MTU.
compressed() {
  address; ip -n $A addr add 2001:db8::1/64 dev pa$$ nodad; ip -n $B addr add 2001:db8::2/64 dev pb$$ nodad
  for x in "$A pa$$" "$B pb$$"; do set -- $x
    ip netns exec $1 ethtool -K $2 tso off gso off >/dev/null 2>&1
    ip netns exec $1 tc qdisc replace dev $2 root tbf rate 1gbit burst 1600 limit 200kb; done
  $SA node -e '
const http = require("http"), zlib = require("zlib");
const text = Array.from({length: 150}, (_, i) => `order ${i}: two cups of tea, one scone\n`).join("");
http.createServer((req, res) => {
  if (req.url === "/old") { res.writeHead(301, {location: "/menu"}); return res.end(); }
  if ((req.headers["accept-encoding"] || "").includes("gzip")) {
    const b = zlib.gzipSync(text);
    res.writeHead(200, {"content-type": "text/plain", "content-encoding": "gzip"});
    res.write(b.subarray(0, 200)); setTimeout(() => res.end(b.subarray(200)), 50);
  } else { res.writeHead(200, {"content-type": "text/plain"}); res.end(text); }
}).listen(8080, "::"); setTimeout(() => process.exit(0), 10000);' >/dev/null 2>&1 &
  sleep 1.0; start_capture http-gzip "tcp port 8080"
  $CL curl -s --compressed http://192.0.2.1:8080/menu -o /dev/null
  $CL curl -s -g --compressed 'http://[2001:db8::1]:8080/menu' -o /dev/null
  stop_capture http-gzip; start_capture wget "tcp port 8080"
  (cd $D && $CL wget -q -O /dev/null http://192.0.2.1:8080/old)
  stop_capture wget; stop_servers
  for x in "$A pa$$" "$B pb$$"; do set -- $x; ip netns exec $1 tc qdisc del dev $2 root 2>/dev/null; done
  ip -n $A addr flush dev pa$$; ip -n $B addr flush dev pb$$
}

# DNS over TCP to unbound (local data: A, AAAA, MX, TXT, SOA, NS, CNAME, SRV): dig sends
# five questions on one kept-open connection, then asks over UDP for a name that is not there.
resolver() {
  address
  cat > $D/unbound.conf <<CONF
server:
  interface: 192.0.2.1
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$D"
  pidfile: "$D/unbound.pid"
  use-syslog: no
  logfile: ""
  do-ip6: no
  access-control: 192.0.2.0/24 allow
  local-zone: "shop.example." static
  local-data: "shop.example. 300 IN A 192.0.2.10"
  local-data: "shop.example. 300 IN AAAA 2001:db8::10"
  local-data: "shop.example. 300 IN MX 10 mail.shop.example."
  local-data: 'shop.example. 300 IN TXT "v=spf1 -all"'
  local-data: "shop.example. 300 IN SOA ns.shop.example. admin.shop.example. 2026120301 3600 600 86400 60"
  local-data: "shop.example. 300 IN NS ns.shop.example."
  local-data: "www.shop.example. 300 IN CNAME shop.example."
  local-data: "_http._tcp.shop.example. 300 IN SRV 0 5 80 shop.example."
remote-control:
  control-enable: no
CONF
  $SA unbound -d -c $D/unbound.conf >/dev/null 2>&1 &
  sleep 1.0; start_capture dns-unbound "port 53"
  $CL dig +tcp +keepopen +tries=1 +time=2 @192.0.2.1 shop.example MX www.shop.example A shop.example SOA \
    _http._tcp.shop.example SRV shop.example NS >/dev/null 2>&1
  $CL dig +tries=1 +time=2 @192.0.2.1 nothere.shop.example AAAA >/dev/null 2>&1
  stop_capture dns-unbound; stop_servers; unaddress
}

# FTP over IPv6: curl lists a directory (EPSV) and fetches a file in active mode (EPRT |2|...).
ftp6() {
  ip -n $A addr add 2001:db8::1/64 dev pa$$ nodad; ip -n $B addr add 2001:db8::2/64 dev pb$$ nodad
  mkdir -p $D/ftp6; echo "hello over ftp and ipv6" > $D/ftp6/hello.txt; chmod -R a+rX $D/ftp6
  $SA $PY -I -c '
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_user("demo", "demo-password", sys.argv[1])
FTPHandler.authorizer = a
FTPServer(("2001:db8::1", 21), FTPHandler).serve_forever()' $D/ftp6 >/dev/null 2>&1 &
  sleep 1.0; start_capture ftp6 "tcp"
  $CL curl -s -g -u demo:demo-password 'ftp://[2001:db8::1]/' >/dev/null
  $CL curl -s -g -u demo:demo-password -P 2001:db8::2 'ftp://[2001:db8::1]/hello.txt' >/dev/null
  stop_capture ftp6; stop_servers; ip -n $A addr flush dev pa$$; ip -n $B addr flush dev pb$$
}

# A lossy link: tutor's own forwarder (labs/netsim/forwarder.py) passes frames between the
# client and the server through a namespace of its own, 10 ms each way, dropping 5% of
# them (seeded); curl fetches 80 kB from python's http.server across it. Needs PYTHON=tutor's venv.
lossy() {
  local R=tutp-fw-$$
  ip netns add $R; ip -n $R link set lo up
  ip link add la$$ type veth peer name lb$$; ip link add lc$$ type veth peer name ld$$
  ip link set la$$ netns $B; ip link set lb$$ netns $R; ip link set lc$$ netns $R; ip link set ld$$ netns $A
  # No IPv6 on this link: its multicast chatter would take the loss draws meant for TCP.
  for ns in $A $B $R; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
  ip -n $B addr add 192.0.2.2/24 dev la$$; ip -n $A addr add 192.0.2.1/24 dev ld$$
  for x in "$B la$$" "$R lb$$" "$R lc$$" "$A ld$$"; do set -- $x; ip -n $1 link set $2 up; done
  # Checksums computed in software: the forwarder copies frames as they are, and a veth
  # otherwise leaves a TCP checksum half-done for hardware that is not there.
  for x in "$B la$$" "$A ld$$"; do set -- $x
    ip netns exec $1 $PY -I -c 'import sys; from labs.netsim.netns import checksums_in_software as c; c(sys.argv[1:])' $2; done
  mkdir -p $D/www; head -c 80000 /usr/share/common-licenses/GPL-3 > $D/www/notes.txt
  $SA python3 -I -m http.server 8080 --bind 192.0.2.1 --directory $D/www >/dev/null 2>&1 &
  (sleep 14) | ip netns exec $R $PY -I -c '
from labs.netsim.forwarder import run
run({"a": "lb'$$'", "b": "lc'$$'", "delay": 0.01, "loss": 0.05, "seed": 3}, lambda: None)' >/dev/null 2>&1 &
  sleep 1.0
  $CL dumpcap -q -i la$$ -w $D/lossy-link.pcapng -f "tcp port 8080" >/dev/null 2>&1 & CAP=$!; sleep 1.0
  $CL curl -s -o /dev/null http://192.0.2.1:8080/notes.txt
  stop_capture lossy-link; stop_servers
  ip netns pids $R | xargs -r kill 2>/dev/null; sleep 0.3; ip netns del $R
}

mkdir -p "$OUT"
for name in ${@:-dhcp ntp tftp mail nbns telnet mdns quic ssdp ping dns ftp https smtp frag active refused noanswer h2c websocket scan arp tls2 compressed resolver ftp6 lossy trace}; do $name; done
