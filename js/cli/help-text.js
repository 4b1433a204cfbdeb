/**
 * The `--help` text of every command.
 * @module
 */
import { EXIT_CODE_TABLE } from './exit.js';

const KEY_PATH = `  --key-path FILE   the master key file <id>.key (default: $ENVEIL_KEY_PATH);
                    it must be a regular file of yours, not readable by
                    group or others (chmod 600) and not a symbolic link
  --kek URI         or a master key held by a key service, which never
                    leaves it (default: $ENVEIL_KEK; see KEY SERVICES)`;

const KEY_SERVICES = `Key services (--kek URI, ENVEIL_KEK):
  pkcs11:token=T;object=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin
      an AES-256 key in a PKCS#11 token or HSM (RFC 7512; pin-value= for
      tests); needs the pkcs11js package
  vault-transit:KEY?address=https://vault:8200&mount=transit
      a Transit key (aes256-gcm96) of HashiCorp Vault or OpenBao; the token
      from VAULT_TOKEN, the address from VAULT_ADDR by default
  aws-kms:KEY-ARN-OR-alias/NAME?region=R
      an AWS KMS key, with the AWS SDK's credentials (needs the
      @aws-sdk/client-kms package)
  A file sealed under a key service records which kind and which key: open
  asks that service, and names it when another key is given (exit 3).`;

/** @type {Record<string, string>} */
export const HELP = {
  main: `enveil: seal files, streams and .env values with a master key file or a
key held by a key service (PKCS#11, Vault Transit, AWS KMS), and rotate the
master key without re-encrypting.

Usage: enveil <command> [options]

Commands:
  keygen      write a new master key file <id>.key (or make one in a PKCS#11 token)
  seal        encrypt a file or stdin
  open        decrypt a sealed file or stdin
  env seal    seal each value of a .env file
  env open    open each value of a sealed .env file
  rotate      re-wrap sealed files (and sealed .env files) under a new master key
  audit       show a sealed file's header without decrypting
  token       OAuth tokens for CI/CD jobs in a sealed vault file (init, get, rotate, audit)
  help CMD    the help of a command (also: enveil CMD --help)

Options: --help, --version

${EXIT_CODE_TABLE}
`,

  keygen: `Usage: enveil keygen [--dir DIR] [--id ID]
       enveil keygen --kek pkcs11:URI

Writes a new master key file DIR/ID.key: the base64 of 32 random bytes and a
newline, mode 0600. Never overwrites an existing file. Prints its path.

With --kek, makes a new AES-256 key inside the PKCS#11 token instead,
sensitive and not extractable (it never exists outside the token), labelled
by the URI's object=; never replaces a key with that label (exit 4). Prints
its id. Vault Transit and KMS keys are made in the service.

Options:
  --kek URI   a pkcs11: URI (see enveil seal --help)
  --dir DIR   where to write it (default: the current directory)
  --id ID     the key id, which is the file name without .key: 1-64 of
              A-Z a-z 0-9 . _ -, not starting with . or - (default: the date
              and 8 random hex digits, e.g. 20250314-9f1c2a7b)
  -h, --help

${EXIT_CODE_TABLE}
`,

  seal: `Usage: enveil seal [--key-path FILE | --kek URI] [--context STR] [IN] [-o OUT]

Encrypts IN (default: stdin; '-' is stdin too) to OUT (default: stdout) in
the enveil stream format: a header with a fresh data key wrapped under the
master key, then chunks of AES-256-GCM. Reads and writes in chunks: memory
does not grow with the input. -o writes a temporary file (mode 0600, whatever
the umask) next to OUT and renames it over OUT when complete (an existing OUT
is replaced). -o to a FIFO or a character device writes into it; to a
symbolic link, a directory or anything else it is refused (exit 4).

Options:
${KEY_PATH}
  --context STR     a label bound to the file and stored in its header (in
                    clear; at most 1024 bytes); open must be given the same
  --chunk-size N    plaintext bytes per chunk, 16 to 16M (suffix K or M
                    allowed; default 64K)
  -o, --output OUT
  -h, --help

${KEY_SERVICES}

${EXIT_CODE_TABLE}
`,

  open: `Usage: enveil open [--key-path FILE | --kek URI] [--context STR] [IN] [-o OUT]

Decrypts a sealed IN (default: stdin) to OUT (default: stdout). Every chunk is
authenticated before its plaintext is released, and so is the end of the
stream: a truncated, extended, reordered or altered file fails (exit 1).

With -o, the plaintext goes to a temporary file (mode 0600, whatever the
umask) next to OUT, renamed over OUT only after everything authenticated; on
failure nothing is left behind. To stdout, each chunk is written once it
authenticated; if a later chunk fails or the stream is cut, enveil exits 1
and what was written must be discarded (check the exit status, e.g. set -o
pipefail). -o to a FIFO or a character device (/dev/stdout, /dev/fd/N as
from >(cmd)) writes into it as to stdout; to a symbolic link, a directory or
anything else it is refused (exit 4).

A file sealed under another key id (or another key service's key) fails
with exit 3 and says which key it needs.

Options:
${KEY_PATH}
  --context STR     the context the file was sealed with (default: none)
  -o, --output OUT
  -h, --help

${EXIT_CODE_TABLE}
`,

  env: `Usage: enveil env seal|open [options] [IN] [-o OUT]

  enveil env seal [--key-path FILE | --kek URI] [--context STR] [--strip-comments] [IN] [-o OUT]
  enveil env open [--key-path FILE | --kek URI] [--context STR] [--allow-plain] [IN] [-o OUT]

env seal replaces each value of a .env file (default: stdin) with a token
enveil:v2:<base64url>, bound to the variable's name (and to --context), and
keeps comments, blank lines, order, export prefixes and quoting. Values that
are already tokens are kept, so new plain values can be added and sealed
again; each must open under the key, for its name and --context, or env seal
exits 1 naming its line and writes nothing (exit 3 if it names another key
id): a plain value that only looks like a token is never kept in clear.
Comments are copied in clear: one that holds NAME=value text (such as
# OLD_PASSWORD=...) is reported on stderr by line number and NAME, never the
value; --strip-comments drops every comment. env open turns the tokens back
into values. Both write OUT with mode 0600, whatever the umask. A token moved to another
name, or opened with another --context, fails. The file as a whole is not
authenticated: lines can be removed or reordered; env open refuses values
that are not tokens unless --allow-plain.

The grammar is dotenv 16's: [export ]NAME=VALUE or NAME: VALUE; values in
'...', "..." or \`...\` (may span lines) or unquoted up to a #; CRLF and a
BOM are kept. Each token holds the value exactly as written, and env open
writes it back in place: dotenv reads the opened file as it read the
original. A line that is not NAME=VALUE, a comment or blank exits 2 (dotenv
would skip it) and names its line number (never its content), as does a
--context too long for a name
(env:NAME:CONTEXT is at most 1024 bytes); input that is not UTF-8 text
exits 4.

Options:
${KEY_PATH}
  --context STR     an extra label bound to every value (e.g. prod)
  --strip-comments  (seal) drop comments (whole lines and trailing ones) from
                    OUT
  --allow-plain     (open) pass values that are not tokens through
  -o, --output OUT  (default: stdout)
  -h, --help

${EXIT_CODE_TABLE}
`,

  rotate: `Usage: enveil rotate [--key-path OLD.key | --kek URI] [--new-key NEW.key | --new-kek URI] FILE...

Re-wraps the data key of each sealed FILE (and of each value of sealed .env
files) from the old master key to the new one, without decrypting or
re-encrypting the data. Each file is replaced atomically (new header and the
copied body written to a temporary file, fsync, rename, fsync of the
directory) and keeps its mode (and owner and group, as root); a file with
other hard links gets the new file under this name only (a warning says
so). Files already under the new key are checked and reported as already
rotated, so an interrupted run can be run again (with the same --new-key).

A file under neither key, or that fails, is reported and the others are
still rotated (exit 5). So is a symbolic link (give the file it points to),
anything but a regular file (a FIFO is never waited on), '-', and a file
another process replaced or modified while it was being rotated (it is left
as that process made it; run rotate again).

Without --new-key a new key file is written next to the old key (as keygen)
and its path printed first ("new key: PATH"): keep it. If some FILE is
already sealed under a key id other than the old key's (e.g. a rerun after
an interrupted rotation), rotate refuses (exit 2), names the id, and asks
for --new-key PATH with the key the first run printed.

Files move between a key file and a key service, or between two key
services, the same way: --kek and --new-kek name keys held by a service
(see enveil seal --help); the body is never touched. Without --new-key or
--new-kek from a key service's key, rotate refuses (exit 2).

Options:
  --key-path OLD.key  the current master key (default: $ENVEIL_KEY_PATH)
  --kek URI           or the current key in a key service (default: $ENVEIL_KEK)
  --new-key NEW.key   the new master key (required to resume a rotation)
  --new-kek URI       or the new key in a key service
  -h, --help

${EXIT_CODE_TABLE}
`,

  token: `Usage:
  enveil token init   --file VAULT (--key-path K | --kek URI) --token-endpoint URL --client-id ID
                      [--client-secret-env NAME] [--client-auth basic|post] [--scope S]  < refresh-token
  enveil token get    --file VAULT (--key-path K | --kek URI) [--format raw|env|json] [--skew SECONDS]
                      [--allow-stale --offline-grace SECONDS]
  enveil token rotate --file VAULT (--key-path K | --kek URI)
  enveil token audit  --file VAULT (--key-path K | --kek URI) [--verify] [--json]

An OAuth 2.0 refresh token kept in VAULT, a file sealed as an enveil store
(every record, the settings and the audit log authenticated; written
atomically after every change), for CI/CD jobs and servers. One process at a
time works on VAULT (a lock file VAULT.lock holding its PID; a lock left by a
killed process is taken over), so parallel jobs on one machine make one
refresh between them. Do not share VAULT across machines over NFS.

init reads the refresh token from stdin (never from the command line or the
environment), refreshes once to check the settings and the token, and
creates VAULT (never over an existing file). The client secret, if any, is
read at each refresh from the environment variable --client-secret-env
names; --client-auth chooses client_secret_basic (default) or
client_secret_post (RFC 6749 2.3.1). The token endpoint must be https (http
only to this machine).

get prints a valid access token on stdout (raw: the token and a newline;
env: ACCESS_TOKEN=...; json: {accessToken, expiresAt, stale}). When it has
expired or expires within --skew seconds (default 30), it refreshes first
(the refresh_token grant, RFC 6749 6), stores the rotated refresh token and
keeps the previous one for 60 s, retrying once with it when the server does
not know the new one (a run killed after the server answered). If the
server cannot be reached, get fails (exit 6) unless --allow-stale, which
prints an access token that expired less than --offline-grace seconds ago.
If the server reports refresh-token reuse (a leaked token), the session is
wiped, the audit log says reuse-detected, and get exits 7.

rotate refreshes now (for scheduled rotation jobs). audit prints the log:
time, event, key ids and expiry, never a token; --verify checks its HMAC
chain (exit 1 when broken).

Options:
  --file VAULT        the vault file
${KEY_PATH}
  -h, --help

${EXIT_CODE_TABLE}
`,
  audit: `Usage: enveil audit [--json] FILE

Prints what a sealed file's header says, without any key and without
decrypting: format version, suite, master key (a key file's id, or the key
service and its key's id), context, file id, chunk
size, header and body sizes, number of chunks and the plaintext size they
imply. For a sealed .env file: the key id and size of each value. Nothing is
verified (only open authenticates), but a body that is no whole number of
chunks is reported and exits 1.

Options:
  --json      machine-readable output
  -h, --help

${EXIT_CODE_TABLE}
`,
};
