// The whole-session suite of issue 8 (test/integration/imap-session.suite.ts: the EMSMDB client's messages day and
// cached-mode run, with MariaDB as the index) against Cyrus IMAP 3.6 instead of Dovecot: the server logs in as Cyrus's
// proxy user with each user as SASL authorization identity (imap.masterLogin authzid).
import { imapSessionSuite } from './imap-session.suite.js';

imapSessionSuite('cyrus');
