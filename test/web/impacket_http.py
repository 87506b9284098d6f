#!/usr/bin/python3
"""HTTP authentication against the front door with impacket's own HTTP client (Debian python3-impacket).

  rpc   : what impacket's RPCProxyClient does for one channel: NTLM (or Basic) on RPC_IN_DATA with
          Content-Length 1 GiB and Expect: 100-continue, read `100 Continue`, then send PAYLOAD and read
          the test handler's echo.
  route : GET PATH with NTLM (impacket.http get_auth_headers_auto), two requests on one keep-alive connection.

Prints one JSON object.
"""
import argparse, http.client, json, ssl, sys
from impacket.http import HTTPClientSecurityProvider, AUTH_NTLM, AUTH_BASIC


def connect(a):
    ctx = ssl._create_unverified_context()
    if a.plain:
        return http.client.HTTPConnection('127.0.0.1', a.port, timeout=10)
    return http.client.HTTPSConnection('127.0.0.1', a.port, context=ctx, timeout=10)


def provider(a):
    p = HTTPClientSecurityProvider({'ntlm': AUTH_NTLM, 'basic': AUTH_BASIC}[a.auth])
    p.set_credentials(a.user, a.password, a.domain)
    return p


def cmd_rpc(a):
    conn = connect(a)
    path = '/rpc/rpcproxy.dll?exch01:6004'
    headers = {'User-Agent': 'MSRPC', 'Cache-Control': 'no-cache', 'Connection': 'Keep-Alive',
               'Expect': '100-continue', 'Accept': 'application/rpc', 'Pragma': 'No-cache',
               'Content-Length': '1073741824'}
    try:
        auth = provider(a).get_auth_headers(conn, 'RPC_IN_DATA', path, headers)[0]
    except Exception as e:
        print(json.dumps({'ok': False, 'stage': 'auth', 'error': str(e)}))
        return
    headers.update(auth)
    conn.request('RPC_IN_DATA', path, headers=headers)
    resp = conn.sock.recv(8192)
    while b'\r\n\r\n' not in resp:
        more = conn.sock.recv(8192)
        if not more:
            break
        resp += more
    status = resp.split(b'\r\n')[0].decode('latin1')
    if resp[9:23] != b'100 Continue\r\n':
        print(json.dumps({'ok': False, 'stage': '100', 'status': status}))
        return
    conn.sock.sendall(a.payload.encode())
    echo = conn.sock.recv(8192).decode('latin1')
    print(json.dumps({'ok': True, 'status': status, 'echo': echo}))


def cmd_route(a):
    conn = connect(a)
    auth = provider(a).get_auth_headers(conn, 'GET', a.path, {})[0]
    out = []
    for i in range(2):
        conn.request('GET', a.path, headers=auth if i == 0 else {})
        r = conn.getresponse()
        out.append({'status': r.status, 'body': r.read().decode()})
    print(json.dumps({'ok': True, 'responses': out}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['rpc', 'route'])
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--plain', action='store_true')
    ap.add_argument('--auth', default='ntlm', choices=['ntlm', 'basic'])
    ap.add_argument('-u', '--user', default='alice')
    ap.add_argument('-p', '--password', default='Passw0rd!')
    ap.add_argument('-d', '--domain', default='TEST')
    ap.add_argument('--path', default='/who')
    ap.add_argument('--payload', default='hello')
    a = ap.parse_args()
    {'rpc': cmd_rpc, 'route': cmd_route}[a.cmd](a)


if __name__ == '__main__':
    main()
