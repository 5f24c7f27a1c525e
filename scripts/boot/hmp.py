#!/usr/bin/env python3
"""Run QEMU human-monitor commands on a monitor's unix socket and print
their output: hmp.py SOCKET COMMAND...  (boot.sh: the state of a hung
guest's vCPUs before it is killed)."""
import socket
import sys

PROMPT = b"(qemu) "


def read_to_prompt(sock):
    buf = b""
    while not buf.endswith(PROMPT):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf[: -len(PROMPT)] if buf.endswith(PROMPT) else buf


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: hmp.py SOCKET COMMAND...")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect(sys.argv[1])
    read_to_prompt(sock)  # the banner
    for cmd in sys.argv[2:]:
        sock.sendall(cmd.encode() + b"\n")
        out = read_to_prompt(sock).decode(errors="replace")
        # The monitor echoes the command line (with terminal escapes) first.
        lines = out.replace("\r", "").split("\n")[1:]
        print(f"(qemu) {cmd}")
        print("\n".join(line for line in lines if line.strip()))


if __name__ == "__main__":
    main()
