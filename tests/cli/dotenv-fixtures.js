// .env texts written for enveil's tests (not taken from dotenv's suite), one
// for each piece of the grammar dotenv 16 reads; env-dotenv.test.js seals
// and opens them and asks dotenv what they mean. Every value of six or more
// characters is distinct from the names and comments, so finding it in a
// sealed file means it was left in clear.

/** @type {Record<string, string>} */
export const FIXTURES = {
  unquoted: 'PLAIN_URL=https://svc.internal:8443/v1\nTRIMMED=   padded-around   \n',
  unquotedBackslashes: 'WINDOWS_DIR=C:\\Users\\maren\\nightly\\n\nREGEX=^[a-z]+\\d{2,}$\n',
  unquotedInner: 'JSON_INLINE={"region": "eu-west-3"}\nHALF_QUOTED=it"s-half\'quoted\nEQUALS=a=b=c==\n',
  inlineComments: 'WITH_COMMENT=tealeaves # the comment\nNO_SPACE=hashtag#inside\nQUOTED_HASH="pound # sign" # after\n',
  hashValue: 'HASH_ONLY=#starts-with-hash\nHASH_SPACED= #a-comment-only\n',
  single: "SINGLE='literal \\n and $DOLLAR and \\\\'\nSINGLE_HASH='hash # inside single'\nAPOS_DOUBLE=\"o'clock tower\"\n",
  singleInner: "ODD_SINGLE='it's quoted'\n",
  double: 'DOUBLE="tab\\there newline\\nthere cr\\rend"\nESCAPED_QUOTE="say \\"cheese\\" now"\nBACKSLASHES="two \\\\ and \\\\n kept"\n',
  backtick: 'BACKTICK=`has \'single\' and "double" inside`\nBACK_HASH=`lantern # not a comment`\n',
  multiLineDouble: 'CERT="-----BEGIN SAMPLE-----\nMIIBsampleline\n-----END SAMPLE-----"\nNEXT_ONE=afterwards\n',
  multiLineSingle: "POEM='first verse\n# still the poem\nlast verse'\n",
  multiLineBacktick: 'TEMPLATE=`Dear "customer",\nit\'s 100% #ready\n`\n',
  exported: 'export EXPORTED_URL=redis://cache:6379/4\nexport   EXPORT_SPACED = spacedexport\n',
  spacing: '   INDENTED_NAME=indentedvalue\nSPACE_EQ = spaceequals\nTABS\t=\ttabbedvalue\n',
  colon: 'COLON_FORM: colon-separated\nCOLON_QUOTED: "colon quoted value"\n',
  empty: 'EMPTY=\nEMPTY_QUOTED=""\nEMPTY_SINGLE=\'\'\nEMPTY_COMMENT= # nothing here\nLAST_AFTER_EMPTY=trailer\n',
  names: 'lower.dotted-name=dottedvalue\n9STARTS_DIGIT=digitname\nDUPLICATE=firstvalue\nDUPLICATE=secondvalue\n',
  unterminated: 'OPEN_QUOTE="never-closed\nFOLLOWS=following\n',
  nonAscii: 'GREETING=grüße-und-äpfel\nEMOJI="🔑 schlüssel ✓"\nCJK=\'鍵の値です\'\n',
  commentsAndBlanks: '# header comment\n\n   # indented comment\nAFTER_BLANKS=afterblanks\n\n\n',
  noFinalNewline: 'FIRST_LINE=firstline\nNO_NEWLINE=no-final-newline',
  separatorThenQuote: 'NEXT_LINE_QUOTE=\n"quoted on the next line"\n',
};

/** Lines dotenv 16 does not match (it skips them without a word), with the line number of the first. */
export const IGNORED_BY_DOTENV = [
  { text: 'OK=fine\nJUST_A_NAME\n', line: 2 },
  { text: 'OK=fine\n\n=orphan-value\n', line: 3 },
  { text: 'A="multi\nline never closed\n', line: 2 },
  { text: 'KEY:nospace\n', line: 1 },
  { text: 'OK=1\nhas space=value\n', line: 2 },
];
