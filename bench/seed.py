#!/usr/bin/env python3
"""Seed N tenants x M extensions through the ProxyAPI itself (admin key), over keep-alive HTTP.

usage: seed.py HOST:PORT ADMIN_KEY TENANTS EXTENSIONS
Prints the id of one extension of tenant T001 (the benchmark's `get` target) on the last line.
"""
import http.client
import json
import sys
import urllib.parse

host, admin, tenants, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conn = http.client.HTTPConnection(host)


def call(**params):
    body = urllib.parse.urlencode(dict(params, key=admin))
    conn.request("POST", "/pbx/proxyapi.php", body, {"Content-Type": "application/x-www-form-urlencoded"})
    text = conn.getresponse().read().decode()
    if text.startswith("Error") or text.startswith("Too bad"):
        sys.exit(f"seeding failed: {params.get('object')} {params.get('action')}: {text.strip()}")
    return text


target = None
for t in range(1, tenants + 1):
    code = f"T{t:03d}"
    call(reqtype="MANAGEDB", object="tenant", action="add", jsondata=json.dumps({"te_code": code, "te_name": f"Tenant {t}"}))
    for n in range(per):
        row = json.loads(call(reqtype="MANAGEDB", object="extension", action="add", tenant=code,
                              jsondata=json.dumps({"ex_number": str(1000 + n), "ex_name": f"User {n}", "password": f"pw-{code}-{n}-secret"})))
        if target is None:
            target = row["ex_id"]
print(target)
