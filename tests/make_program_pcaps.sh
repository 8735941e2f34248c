#!/bin/bash
# Captures of other programs' traffic (run as root; Debian packages:
# dnsmasq-base isc-dhcp-client chrony ntpsec-ntpdate tftpd-hpa dovecot-imapd
# dovecot-pop3d samba-common-bin telnet curl dumpcap). Two network namespaces
# of our own joined by a veth (192.0.2.1 the server, 192.0.2.2 the client,
# RFC 5737 documentation addresses that exist only inside them); each server
# runs in one, each client in the other, and dumpcap records the client's
# side. Nothing here is tutor's: the bytes are the programs'. Everything is
# removed on exit.
#   tests/make_program_pcaps.sh tests/data/programs [NAME ...]
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

mkdir -p "$OUT"
for name in ${@:-dhcp ntp tftp mail nbns telnet}; do $name; done
