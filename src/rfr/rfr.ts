// The NSPI referral interface (MS-OXABREF): tells Outlook which NSPI server to use (always this one) and turns this
// server's DN into its FQDN.
import { AUTHN_LEVEL } from '../dcerpc/constants.js';
import { defineInterface, op, type CallContext, type InterfaceDef } from '../dcerpc/interface.js';
import { RFR } from '../dcerpc/well-known.js';
import type { Directory } from '../directory/types.js';
import { MAPI_E } from '../mapi/props.js';
import { isServerDnShape, namesServer } from '../mapi/dn.js';
import { describeError } from '../util/errors.js';
import {
  RfrGetFQDNFromServerDN_in,
  RfrGetFQDNFromServerDN_out,
  RfrGetNewDSA_in,
  RfrGetNewDSA_out,
  type RfrGetFQDNFromServerDN_out as FqdnOut,
  type RfrGetNewDSA_in as NewDsaIn,
  type RfrGetNewDSA_out as NewDsaOut,
} from './idl.js';

export interface RfrOptions {
  /** This server's FQDN (config.server.hostname): the NSPI server and the mailbox server. */
  hostname: string;
  /** This server's DN, e.g. "/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01". */
  mailboxServerDn(): string;
  /** Consulted for pUserDN (logged; there is only one NSPI server to refer to). */
  directory: Directory;
}

/**
 * Return values. MS-OXABREF 3.1.4 says only "0 for a successful execution; an error results in an HRESULT or other
 * nonzero error code"; these are the MAPI codes chosen for each failure.
 */
export const RFR_STATUS = {
  success: MAPI_E.SUCCESS,
  /** szMailboxServerDN does not have the shape of a server DN, or ppszServer was NULL (nowhere to put the answer). */
  invalidParameter: MAPI_E.INVALID_PARAMETER,
  /** A well-formed server DN that names another server. */
  notFound: MAPI_E.NOT_FOUND,
} as const;

/** MS-OXABREF 3.1.4.1 RfrGetNewDSA: the NSPI server for the user, here always this server. */
export async function rfrGetNewDSA(opts: RfrOptions, req: NewDsaIn, call: CallContext): Promise<NewDsaOut> {
  // [in,out,unique] pointers keep their outer NULL-ness; ppszUnused's string is never set.
  const ppszUnused = req.ppszUnused === null ? null : { value: null };
  if (req.ppszServer === null) {
    call.log.info('RfrGetNewDSA without ppszServer');
    return { ppszUnused, ppszServer: null, result: RFR_STATUS.invalidParameter };
  }
  if (req.pUserDN !== '') {
    // The spec's SHOULD: prefer an NSPI server holding the user's object. There is one; just note who asked.
    try {
      const user = await opts.directory.findUser(req.pUserDN);
      call.log.debug({ userDn: req.pUserDN, known: user !== null }, 'RfrGetNewDSA');
    } catch (e) {
      call.log.warn({ err: describeError(e) }, 'RfrGetNewDSA: directory lookup failed');
    }
  }
  return { ppszUnused, ppszServer: { value: opts.hostname }, result: RFR_STATUS.success };
}

/**
 * MS-OXABREF 3.1.4.2 RfrGetFQDNFromServerDN: our FQDN when the DN names this server (compared case-insensitively;
 * the private or public store DN, which Outlook may pass unshortened, names it too).
 */
export function rfrGetFQDNFromServerDN(opts: RfrOptions, dn: string, call: CallContext): FqdnOut {
  if (namesServer(dn, opts.mailboxServerDn())) return { ppszServerFQDN: opts.hostname, result: RFR_STATUS.success };
  const status = isServerDnShape(dn) ? RFR_STATUS.notFound : RFR_STATUS.invalidParameter;
  call.log.info({ dn, status: `0x${status.toString(16)}` }, 'RfrGetFQDNFromServerDN: not this server');
  return { ppszServerFQDN: null, result: status };
}

export function createRfrInterface(opts: RfrOptions): InterfaceDef {
  return defineInterface({
    name: RFR.name,
    uuid: RFR.uuid,
    version: { major: RFR.major, minor: RFR.minor },
    // Exchange refuses unauthenticated referral calls (OpenChange answered them MAPI_E_LOGON_FAILED); any
    // authenticated level will do, as for NSPI.
    minAuthLevel: AUTHN_LEVEL.RPC_C_AUTHN_LEVEL_CONNECT,
    ops: {
      0: op({
        name: 'RfrGetNewDSA',
        request: RfrGetNewDSA_in,
        response: RfrGetNewDSA_out,
        handle: (req, call) => rfrGetNewDSA(opts, req, call),
      }),
      1: op({
        name: 'RfrGetFQDNFromServerDN',
        request: RfrGetFQDNFromServerDN_in,
        response: RfrGetFQDNFromServerDN_out,
        handle: (req, call) => rfrGetFQDNFromServerDN(opts, req.szMailboxServerDN, call),
      }),
    },
  });
}
