#!/usr/bin/env python3
"""Abuse client of bench/abuse.sh: runs one attack against a local server and reports the
server's peak RSS during it (VmHWM, reset before the attack through /proc/PID/clear_refs) and
whether /healthz kept answering (probed every 250 ms, 2 s timeout each).

    abuse.py PORT PID uploads|wrongkeys|slowbodies|export [KEY]

Loopback only; every attack is bounded in connections and time."""

import asyncio
import sys
import time

HOST = "127.0.0.1"
TOO_BAD = b"Too bad... you mistaken the security api key."


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


async def read_answer(reader, limit=30.0):
    """The body of an HTTP/1.1 answer with Content-Length (b'' if none came)."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limit)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError, asyncio.LimitOverrunError):
        return b""
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    try:
        return await asyncio.wait_for(reader.readexactly(length), limit)
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        return b""


async def healthz(port, stop, stats):
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), 2)
            w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await w.drain()
            body = await read_answer(r, 2)
            w.close()
            ok = body == b"OK"
        except (OSError, asyncio.TimeoutError):
            ok = False
        stats["probes"] += 1
        stats["failed"] += 0 if ok else 1
        stats["worst"] = max(stats["worst"], time.monotonic() - t0)
        await asyncio.sleep(0.25)


async def upload(port, size):
    """A multipart upload of `size` bytes with key `bad`: streamed until the server answers."""
    boundary = "AbUsE"
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in [("reqtype", "MANAGEDB"), ("object", "mediafile"), ("action", "updatebinary"),
                     ("key", "bad"), ("tenant", "T001"), ("objectid", "1")]
    ).encode()
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="filename"; filename="a.wav"\r\n\r\n'.encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(fields) + len(part) + size + len(tail)
    r, w = await asyncio.open_connection(HOST, port)
    w.write(f"POST /pbx/proxyapi.php HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {length}\r\n\r\n".encode() + fields + part)
    answer = asyncio.ensure_future(read_answer(r, 60))
    chunk = b"\0" * 65536
    sent = 0
    try:
        while sent < size and not answer.done():
            w.write(chunk[: min(65536, size - sent)])
            await w.drain()
            sent += 65536
        if not answer.done():
            w.write(tail)
            await w.drain()
    except ConnectionError:
        pass
    body = await answer
    w.close()
    return body.startswith(TOO_BAD), sent


async def wrong_key(port, i):
    r, w = await asyncio.open_connection(HOST, port)
    w.write(f"GET /pbx/proxyapi.php?reqtype=INFO&info=dids&tenant=T001&key=sbk_wrong{i:044d} HTTP/1.1\r\n"
            "Host: x\r\nConnection: close\r\n\r\n".encode())
    await w.drain()
    body = await read_answer(r, 60)
    w.close()
    return body.startswith(TOO_BAD)


async def slow_body(port, seconds):
    """Headers, then a url-encoded body at 1 byte/s; returns the seconds until the server closed
    the connection (None: still open after `seconds`)."""
    try:
        r, w = await asyncio.open_connection(HOST, port)
    except OSError:
        return "refused"
    t0 = time.monotonic()
    w.write(b"POST /pbx/proxyapi.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100000\r\n\r\n")
    drip = asyncio.ensure_future(r.read(65536))
    try:
        while time.monotonic() - t0 < seconds:
            w.write(b"k")
            await w.drain()
            done, _ = await asyncio.wait([drip], timeout=1.0)
            while done:
                data = drip.result()
                if not data:
                    w.close()
                    return time.monotonic() - t0
                drip = asyncio.ensure_future(r.read(65536))
                done, _ = await asyncio.wait([drip], timeout=0)
    except ConnectionError:
        return time.monotonic() - t0
    drip.cancel()
    w.close()
    return None


async def export(port, key, pause):
    """INFO cdrs as CSV, read 64 KiB at a time with a pause after each read."""
    r, w = await asyncio.open_connection(HOST, port, limit=1 << 16)
    w.write(f"GET /pbx/proxyapi.php?reqtype=INFO&info=cdrs&tenant=T001&key={key}&format=csv"
            f"&start=2000-01-01&end=2099-12-31 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await w.drain()
    total = 0
    while True:
        data = await r.read(65536)
        if not data:
            break
        total += len(data)
        await asyncio.sleep(pause)
    w.close()
    return total


async def main():
    port, pid, attack = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    key = sys.argv[4] if len(sys.argv) > 4 else ""
    stop = asyncio.Event()
    stats = {"probes": 0, "failed": 0, "worst": 0.0}
    reset_hwm(pid)
    before = hwm_kib(pid)
    probe = asyncio.ensure_future(healthz(port, stop, stats))
    t0 = time.monotonic()
    if attack == "uploads":
        results = await asyncio.gather(*(upload(port, 31 << 20) for _ in range(16)))
        refused = sum(1 for ok, _ in results if ok)
        sent = sum(s for _, s in results) / (1 << 20)
        what = f"16 uploads of 31 MB with key 'bad': {refused} refused; {sent:.0f} MB sent before the answers"
    elif attack == "wrongkeys":
        results = await asyncio.gather(*(wrong_key(port, i) for i in range(64)))
        what = f"64 concurrent wrong keys from one address: {sum(results)} refused"
    elif attack == "slowbodies":
        seconds = 30
        results = await asyncio.gather(*(slow_body(port, seconds) for _ in range(3000)))
        closed = [t for t in results if isinstance(t, float)]
        still = sum(1 for t in results if t is None)
        refused = sum(1 for t in results if t == "refused")
        what = (f"3000 bodies at 1 byte/s: {len(closed)} closed by the server "
                f"(after {min(closed or [0]):.1f}-{max(closed or [0]):.1f} s), {still} open after {seconds} s, "
                f"{refused} connections refused")
    elif attack == "export":
        total = await export(port, key, 0.004)
        what = f"INFO cdrs csv, read slowly: {total / 1e6:.0f} MB"
    else:
        raise SystemExit(f"unknown attack {attack}")
    took = time.monotonic() - t0
    stop.set()
    await probe
    peak = hwm_kib(pid)
    print(f"{attack:10} peak RSS {peak / 1024:6.1f} MB (from {before / 1024:.1f} MB) in {took:5.1f} s; "
          f"/healthz {stats['probes'] - stats['failed']}/{stats['probes']} answered (slowest {stats['worst']:.2f} s) | {what}")


if __name__ == "__main__":
    asyncio.run(main())
