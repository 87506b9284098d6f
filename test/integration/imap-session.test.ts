// Issue 8 acceptance 1 and item 7 against Dovecot 2.3 (master-user mode): the suite is test/integration/imap-session.suite.ts.
import { imapSessionSuite } from './imap-session.suite.js';

imapSessionSuite('dovecot');
