#!/usr/bin/python3
"""impacket's example exchanger.py (Debian python3-impacket 0.10, /usr/share/doc/python3-impacket/examples), run
unchanged through its own command line, with only the transport swapped: the example speaks NSPI over RPC over HTTP
v2 (ncacn_http, port 6004 behind an RPC proxy), which this server does not serve yet, so
transport.DCERPCTransportFactory is replaced by one that returns an ncacn_ip_tcp transport to our RPC port. Everything
else (NTLM at PKT_PRIVACY, NspiBind with CP_TELETEX, the hierarchy table, NspiUpdateStat, NspiQueryRows with explicit
tables, NspiQueryColumns, NspiResolveNamesW with GUID DNs, the printing) is the example's own code.

  exchanger_tcp.py PORT USER PASSWORD -- <exchanger.py nspi arguments> [-- <more arguments> ...]

Each argument list after "--" is one run of the example (one connection). Prints one JSON object:
{"runs": [{"args": [...], "stdout": "...", "log": ["[*] ...", ...], "exit": null | code}]}; the example's log lines
("[*] ", "[-] " ...) are separated from its output.
"""
import io, json, runpy, sys, traceback
from impacket.dcerpc.v5 import transport

EXAMPLE = '/usr/share/doc/python3-impacket/examples/exchanger.py'
LOG_PREFIXES = ('[*] ', '[+] ', '[!] ', '[-] ')


def main():
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    rest = sys.argv[4:]
    runs, cur = [], None
    for a in rest:
        if a == '--':
            cur = []
            runs.append(cur)
        else:
            cur.append(a)

    real_factory = transport.DCERPCTransportFactory
    bindings = []

    def tcp_factory(stringbinding):
        # the example asks for 'ncacn_http:<rpc host>[6004,RpcProxy=<target>:443]'
        bindings.append(stringbinding)
        return real_factory('ncacn_ip_tcp:127.0.0.1[%d]' % port)

    transport.DCERPCTransportFactory = tcp_factory
    out = []
    real_stdout, real_argv = sys.stdout, sys.argv
    for args in runs:
        buf = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)
        code = None
        sys.argv = [EXAMPLE, 'TEST/%s:%s@127.0.0.1' % (user, password)] + args
        sys.stdout = buf
        try:
            runpy.run_path(EXAMPLE, run_name='__main__')
        except SystemExit as e:
            code = e.code
        except Exception:
            code = 'exception: ' + traceback.format_exc()
        finally:
            sys.stdout = real_stdout
            sys.argv = real_argv
        text = buf.buffer.getvalue().decode('utf-8')
        lines = text.split('\n')
        out.append({
            'args': args,
            'stdout': '\n'.join(l for l in lines if not l.startswith(LOG_PREFIXES)),
            'log': [l for l in lines if l.startswith(LOG_PREFIXES)],
            'exit': code,
        })
    print(json.dumps({'runs': out, 'bindings': bindings}))


if __name__ == '__main__':
    main()
