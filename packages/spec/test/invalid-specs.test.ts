import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileSpec, formatDiagnostic } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/invalid/', import.meta.url));

/**
 * Every invalid fixture with the exact diagnostics it must produce, as
 * `sockspec check` prints them. The display path is what the CLI would pass.
 */
const expected: Record<string, string[]> = {
  'declared-steps': [
    "specs/declared-steps.protocol.yaml:15:47: error session-value-in-greeting: '$session.nick' in value 'nick' of the greeting reads the session, but the greeting is sent before the client has sent anything\n  hint: use a literal value or $now",
    "specs/declared-steps.protocol.yaml:17:5: error guard-without-errors: behavior of 'Join' has a guard, but the protocol declares no errors message for a guard to refuse with\n  hint: add behavior.errors: { message, reason, text, badRequest, internal }",
    "specs/declared-steps.protocol.yaml:18:44: error invalid-session-value: session value 'level' of message 'Join' must copy a field of 'Join' ('$request.<field>'), got 3\n  hint: its fields are 'nick' and 'room'",
    "specs/declared-steps.protocol.yaml:19:12: error group-field-type: groups are named by strings, but field 'room' of 'Join' is a u8\n  hint: name the group with a string field",
    "specs/declared-steps.protocol.yaml:23:53: error wrong-type: 'broadcast.0.to.except' of behavior of 'Say' must be 'sender', got the string 'everyone'",
    "specs/declared-steps.protocol.yaml:24:11: error behavior-combination: behavior of 'Ping' combines 'echo' with 'reply', but echo sends the message back and nothing else\n  hint: keep only 'echo', or replace it with declared steps",
  ],
  'declared-values': [
    "specs/declared-values.protocol.yaml:15:13: error unknown-group-field: 'leaves' of behavior of 'Say' names field 'channel', but message 'Say' has no such field\n  hint: its fields are 'text'",
    "specs/declared-values.protocol.yaml:17:54: error incompatible-session-value: '$session.nick' cannot fill field 'nick' of the broadcast on 'Say': a string cannot fill a u32 field\n  hint: store a value of a matching type",
    "specs/declared-values.protocol.yaml:17:75: error unknown-session-value: '$session.mood' in value 'text' of the broadcast on 'Say': no message stores a session value 'mood'\n  hint: store it first with session: { <name>: $request.<field> } in another message's behavior",
  ],
  'errors-entry': [
    "specs/errors-entry.protocol.yaml:17:38: error errors-field-type: errors.reason field 'code' must be an enum, but it is a u8\n  hint: give it an integer type with values: { name: number, ... }",
    "specs/errors-entry.protocol.yaml:17:50: error unknown-errors-field: errors.text names field 'txt', but message 'Failed' has no such field\n  hint: did you mean 'text'?",
  ],
  'header-lists': [
    "specs/header-lists.protocol.yaml:6:3: warning unused-type: type 'Header' is declared but never used\n  hint: use it in a field or remove it",
    "specs/header-lists.protocol.yaml:6:62: error field-not-in-template: field 'count' of type 'Header' is not a part of its line template '{name}: {value}'\n  hint: add '{count}' to the template, or remove the field",
    "specs/header-lists.protocol.yaml:14:44: error unknown-lookup-list: field 'body' of message 'Get' takes its length from 'heders', which is not a field of the message\n  hint: did you mean 'headers'?",
    "specs/header-lists.protocol.yaml:20:62: error unknown-lookup-field: field 'note' of message 'Put' looks at field 'kay' of the 'headers' elements, but they have 'key' and 'val'\n  hint: did you mean 'key'?",
    "specs/header-lists.protocol.yaml:20:84: error lookup-field-type: field 'note' of message 'Put' reads field 'val' of the 'headers' elements as a byte count, but it is a u8\n  hint: take the length from a string field (its text is checked to be decimal digits)",
    "specs/header-lists.protocol.yaml:25:7: error field-not-in-template: field 'size' of message 'Post' is not a part of its line template 'POST {path}'\n  hint: add '{size}' to the template, or give it length: { field: <integer part of the line> } (bytes that follow the line)",
    "specs/header-lists.protocol.yaml:26:23: error until-list-element: the elements of field 'lines' of message 'Post' run until the line \".\", so each must be one line, but they are a string\n  hint: make the element a struct with a line template, such as items: { line: '{name}: {value}' }",
    "specs/header-lists.protocol.yaml:33:7: error lookup-not-after-list: field 'body' of message 'Patch' takes its length from list 'headers', so its bytes follow that list's end line, but it is not declared right after 'headers'\n  hint: move 'body' to just after 'headers' in fields",
  ],
  'errors-shape': [
    "specs/errors-shape.protocol.yaml:18:22: error reply-not-sent-by-server: the errors entry uses message 'Oops', but the server never sends it (it is from: client)\n  hint: set from: server or both on 'Oops', or pick a message the server sends",
  ],
  'reply-sizes': [
    "specs/reply-sizes.protocol.yaml:16:7: error reply-may-exceed-frame: the Stamped reply to the longest Stamp the decoder accepts is 127 bytes, more than maxFrameBytes 100, so such a request could not be answered\n  hint: give field 'text' of 'Stamp' maxBytes: 72 (the decoder then refuses longer lines), or raise maxFrameBytes to 127",
    "specs/reply-sizes.protocol.yaml:18:28: error reply-may-exceed-frame: the echo of the longest Shout the decoder accepts is 105 bytes with its prefix, more than maxFrameBytes 100\n  hint: give field 'text' of 'Shout' maxBytes: 88, or raise maxFrameBytes to 105",
  ],
  'stream-correlation': [
    "specs/stream-correlation.protocol.yaml:8:33: error stream-without-correlation: message 'Put' opens a stream, but no header field is marked 'correlation: true' to tie its chunks to it\n  hint: add a header field such as id: { type: u32, correlation: true }",
  ],
  streams: [
    "specs/streams.protocol.yaml:9:62: error stream-chunk-is-end: the stream of 'Put' uses 'Chunk' both as chunk and as end, so its end could not be told apart\n  hint: declare a separate end message (it may have no fields)",
    "specs/streams.protocol.yaml:10:50: error unknown-message: the stream of 'Get' names message 'Piece' as its chunk, but no such message is declared\n  hint: declared messages: Put, Get, Both, Chunk, Done, Stored",
    "specs/streams.protocol.yaml:10:62: error stream-part-direction: the stream of 'Get' is sent by the client, but its end 'Done' is from: server\n  hint: set from: client or both on 'Done'",
    "specs/streams.protocol.yaml:11:26: error stream-opener-direction: message 'Both' opens a stream, so it needs one sender, but it is from: both\n  hint: set from: client (the client streams) or from: server (the server streams)",
  ],
  'ambiguous-messages': [
    "specs/ambiguous-messages.protocol.yaml:7:18: error ambiguous-messages: messages 'Ping' and 'Login' are both sent by the client, and without a discriminator the receiver cannot tell them apart\n  hint: add a header field such as type: { type: u8, discriminator: true } and give each message a 'code'",
  ],
  'behavior-messages': [
    "specs/behavior-messages.protocol.yaml:9:3: error unknown-behavior-message: behavior for 'Aks', which is not a message\n  hint: did you mean 'Ask'?",
    "specs/behavior-messages.protocol.yaml:10:10: error echo-direction: echo on message 'Ask' needs it to be from: both, since the server sends the same message back (it is from: client)\n  hint: set from: both on 'Ask', or use 'reply' with a message the server sends",
    "specs/behavior-messages.protocol.yaml:11:3: error behavior-on-server-message: behavior for message 'Answer', which the server sends but never receives (from: server)\n  hint: behavior says what the server does with a message it receives; set from: client or both, or remove this entry",
  ],
  'code-without-discriminator': [
    "specs/code-without-discriminator.protocol.yaml:8:11: error code-without-discriminator: message 'Ping' has a code, but no header field is marked 'discriminator: true' to carry it\n  hint: add a header field such as type: { type: u8, discriminator: true }, or remove 'code'",
  ],
  'datagram-stream': [
    "specs/datagram-stream.protocol.yaml:3:19: error transport-framing-mismatch: transport 'websocket' is a byte stream, but framing 'datagram' needs the transport to keep message boundaries\n  hint: use 'udp', 'udp6' or 'unix-dgram', or a stream framing such as 'length-prefixed'",
    'specs/datagram-stream.protocol.yaml:4:43: warning datagram-too-large: maxFrameBytes 70000 of framing is more than a UDP datagram can carry (65507 bytes)\n  hint: lower maxFrameBytes to 65507',
  ],
  delimiter: [
    "specs/delimiter.protocol.yaml:6:19: error delimiter-byte-out-of-range: 'delimiter.1' of framing must be a byte value from 0 to 255, got 256",
    "specs/delimiter.protocol.yaml:6:24: error delimiter-byte-out-of-range: 'delimiter.2' of framing must be a byte value from 0 to 255, got -1",
  ],
  'duplicate-code': [
    "specs/duplicate-code.protocol.yaml:9:17: error duplicate-code: code 1 of message 'Pong' is already used by message 'Ping', which the client also sends, so the receiver could not tell them apart\n  hint: give every message one side sends its own code (a client message and a server message may share one)",
    "specs/duplicate-code.protocol.yaml:11:16: error code-out-of-range: code 300 of message 'Big' does not fit the discriminator 'type' (a u8, 0 to 255)\n  hint: pick a code from 0 to 255, or widen 'type'",
    "specs/duplicate-code.protocol.yaml:12:3: error missing-code: message 'Lost' has no 'code', but the header field 'type' selects messages by code\n  hint: add 'code:' with a value of a u8 (0 to 255) that no other message uses",
  ],
  'duplicate-key': [
    "specs/duplicate-key.protocol.yaml:7:3: error duplicate-key: duplicate key 'Line': a key may appear only once in a mapping\n  hint: remove or rename one of the entries",
  ],
  'empty-delimiter': [
    "specs/empty-delimiter.protocol.yaml:6:14: error empty-delimiter: 'delimiter' of framing must not be empty\n  hint: give at least one character",
  ],
  'fixed-size': [
    "specs/fixed-size.protocol.yaml:6:9: error invalid-frame-size: 'size' of framing must be an integer from 1 to 2147483647, got 4294967296",
  ],
  'fixed-over-datagram': [
    "specs/fixed-over-datagram.protocol.yaml:3:14: error transport-framing-mismatch: transport 'udp' carries datagrams, but framing 'fixed' cuts a byte stream\n  hint: use framing kind 'datagram', 'lines', 'delimited' or 'raw' with 'udp', or a stream transport (tcp, tcp6, unix, tls, websocket)",
  ],
  'header-roles': [
    "specs/header-roles.protocol.yaml:7:22: error multiple-discriminators: header fields 'type' and 'kind' are both marked 'discriminator: true'\n  hint: a header has at most one discriminator field; remove 'discriminator: true' from one of them",
    "specs/header-roles.protocol.yaml:8:7: error correlation-not-integer: correlation header field 'id' is a string, but must be an integer type\n  hint: use u8, u16 or u32",
    "specs/header-roles.protocol.yaml:10:62: error header-only-key: 'correlation' in field 'seq' of message 'Ping' is only allowed on header fields\n  hint: move the field to 'header' or remove 'correlation'",
  ],
  'invalid-pattern': [
    "specs/invalid-pattern.protocol.yaml:6:48: error invalid-pattern: pattern of type 'Nick' is not a valid regular expression: Invalid regular expression: /^[A-Z/u: Unterminated character class\n  hint: patterns are JavaScript regular expressions with the u flag",
  ],
  'length-field-too-narrow': [
    "specs/length-field-too-narrow.protocol.yaml:7:18: error max-frame-exceeds-length-field: maxFrameBytes 1000 of framing cannot be carried by the u8 length field: the largest frame it can describe is 256 bytes\n  hint: widen the length field to 'u16' or lower maxFrameBytes to 256",
  ],
  'length-field-unusable': [
    'specs/length-field-unusable.protocol.yaml:6:35: error length-field-unusable: with adjustment -300, every valid frame needs a length of at least 300, but the u8 length field holds at most 255\n  hint: use a wider length field or a smaller negative adjustment',
  ],
  'literal-values': [
    "specs/literal-values.protocol.yaml:17:13: error request-value-in-greeting: '$request.reason' in value 'name' of the greeting refers to a request, but the greeting is not sent in answer to one\n  hint: use a literal value or $now",
    "specs/literal-values.protocol.yaml:18:14: error invalid-literal: value 'level' of the greeting must be an integer from 0 to 255 for a u8 field, got 256",
    "specs/literal-values.protocol.yaml:19:12: error invalid-literal: value 'big' of the greeting must be an integer from 0 to 18446744073709551615 for a u64 field, got 18446744073709551616",
    "specs/literal-values.protocol.yaml:21:46: error invalid-value-expression: '$nobody' in value 'name' of the reply to 'Bye' is not a known expression\n  hint: use $now, $request.<field> or $session.<name>; write '$$nobody' for the literal text '$nobody'",
    "specs/literal-values.protocol.yaml:21:62: error invalid-literal: value 'level' of the reply to 'Bye' must be an integer for a u8 field, got '7'",
  ],
  names: [
    "specs/names.protocol.yaml:1:11: error invalid-protocol-name: 'protocol' is 'Chat_Server', which is not kebab-case (lowercase letters and digits in words joined by single dashes, starting with a letter)",
    "specs/names.protocol.yaml:2:10: error invalid-version: 'version' is '1.0', which is not a semantic version such as 1.0.0",
    "specs/names.protocol.yaml:3:19: error invalid-value: transports[1] is 'tcpp', expected one of 'tcp', 'tcp6', 'udp', 'udp6', 'unix', 'unix-dgram', 'tls' or 'websocket'\n  hint: did you mean 'tcp'?",
    "specs/names.protocol.yaml:3:25: error duplicate-transport: 'transports' lists 'tcp' more than once\n  hint: remove the repeated entry",
    "specs/names.protocol.yaml:6:3: error invalid-message-name: message name 'line' in 'messages' is not PascalCase (an uppercase letter, then letters or digits)",
    "specs/names.protocol.yaml:7:18: error invalid-value: 'from' of message 'Other' is 'everyone', expected one of 'client', 'server' or 'both'",
  ],
  'reply-not-sent': [
    "specs/reply-not-sent.protocol.yaml:10:28: error reply-not-sent-by-server: the reply to 'Ask' uses message 'Question', but the server never sends it (it is from: client)\n  hint: set from: server or both on 'Question', or pick a message the server sends",
    "specs/reply-not-sent.protocol.yaml:11:44: error unknown-message: a handler reply names message 'Anser', which is not declared\n  hint: did you mean 'Answer'?",
  ],
  'reply-values': [
    "specs/reply-values.protocol.yaml:18:9: error missing-values: the reply to 'Stamp' gives no value for field 'time' of message 'Stamped'\n  hint: add them under 'values:' ($now for the current time, $request.<field> to copy from the request)",
    "specs/reply-values.protocol.yaml:18:15: error unknown-request-field: '$request.txt' in value 'text' of the reply to 'Stamp': message 'Stamp' has no field 'txt'\n  hint: did you mean 'text'?",
    "specs/reply-values.protocol.yaml:19:16: error now-on-non-timestamp: '$now' in value 'count' of the reply to 'Stamp' needs a timestamp field, but 'count' is a u8\n  hint: make the field a timestamp, or give a literal value",
    "specs/reply-values.protocol.yaml:20:9: error unknown-value-field: the reply to 'Stamp' gives a value for 'extra', but message 'Stamped' has no such field\n  hint: its fields are 'time', 'text' and 'count'",
  ],
  'rest-not-last': [
    "specs/rest-not-last.protocol.yaml:9:13: error rest-not-last: field 'data' of message 'Chunk' uses 'rest' (it runs to the end of the frame), which only the last field of a message can use\n  hint: move 'data' to the end of the message, or give it a length prefix",
  ],
  'several-problems': [
    "specs/several-problems.protocol.yaml:4:19: error transport-framing-mismatch: transport 'udp' carries datagrams, but framing 'length-prefixed' cuts a byte stream\n  hint: use framing kind 'datagram', 'lines', 'delimited' or 'raw' with 'udp', or a stream transport (tcp, tcp6, unix, tls, websocket)",
    "specs/several-problems.protocol.yaml:8:18: error max-frame-exceeds-length-field: maxFrameBytes 1000 of framing cannot be carried by the u8 length field: the largest frame it can describe is 256 bytes\n  hint: widen the length field to 'u16' or lower maxFrameBytes to 256",
    "specs/several-problems.protocol.yaml:14:62: error unknown-type: unknown type 'strng' in field 'room' of message 'Join'\n  hint: did you mean 'string'?",
    "specs/several-problems.protocol.yaml:15:19: error duplicate-code: code 1 of message 'Joined' is already used by message 'Join', which the client also sends, so the receiver could not tell them apart\n  hint: give every message one side sends its own code (a client message and a server message may share one)",
    "specs/several-problems.protocol.yaml:16:3: error missing-code: message 'Say' has no 'code', but the header field 'type' selects messages by code\n  hint: add 'code:' with a value of a u8 (0 to 255) that no other message uses",
    "specs/several-problems.protocol.yaml:19:3: error unknown-behavior-message: behavior for 'Leave', which is not a message\n  hint: behavior keys are 'greeting', 'errors', 'idleTimeoutMs', or names of messages the server receives",
  ],
  'binary-text-keys': [
    "specs/binary-text-keys.protocol.yaml:9:45: error length-line-binary: field 'value' of message 'Data' is preceded by a line giving its length, but this is a binary protocol\n  hint: use a length prefix (length: u32) or { field: <earlier integer field> }",
    "specs/binary-text-keys.protocol.yaml:10:25: error messages-element-binary: field 'items' of message 'Data' is one of several messages, but only a text protocol writes a message inside another\n  hint: use a struct ('fields') for a list element of a binary protocol",
  ],
  'delimiter-in-template': [
    "specs/delimiter-in-template.protocol.yaml:6:30: error template-contains-delimiter: the line template 'SET;{key}' of message 'Set' contains the delimiter \";\", so the receiver would cut the line there\n  hint: a line cannot hold its delimiter: remove it from the template, and declare what follows the line as fields (bytes with length: { field }, or a list with count: { field })",
  ],
  'following-lines': [
    "specs/following-lines.protocol.yaml:3:19: error following-over-datagram: field 'payload' of message 'Pub' follows its line, so a frame is several lines, but transport 'udp' carries each datagram as one line\n  hint: remove 'udp', or put the message in one line",
    "specs/following-lines.protocol.yaml:4:18: error following-needs-exact-delimiter: field 'payload' of message 'Pub' follows its line, but framing 'lines' accepts a line ending with or without '\\r', so the end of the bytes after a line would be ambiguous\n  hint: use framing kind: delimited with the protocol's exact line ending, such as delimiter: \"\\r\\n\"",
    "specs/following-lines.protocol.yaml:17:41: error unknown-element-message: field 'items' of message 'Items' holds 'Nope' messages, but no message is called that\n  hint: messages: 'Pub' and 'Items'",
  ],
  'following-shapes': [
    "specs/following-shapes.protocol.yaml:11:37: error length-field-type: field 'value' takes its length from 'length', which is a string, but a length comes from a u8, u16 or u32 field the encoder can fill in\n  hint: make 'length' a u8, u16 or u32",
    "specs/following-shapes.protocol.yaml:17:54: error invalid-length-line: the length line '${size}' of field 'args' of message 'Args' must have exactly one part, '{length}', but it has '{size}'\n  hint: write the line with one '{length}' part, such as '${length}' (RESP's bulk strings)",
    "specs/following-shapes.protocol.yaml:18:7: error field-not-in-template: field 'extra' of message 'Args' is not a part of its line template '*{n}', and a list can follow the line only with count: { field: <integer part> }\n  hint: give it count: { field: <an integer part of the line> }, and items with a length line or messages",
    "specs/following-shapes.protocol.yaml:23:13: error text-type-unsupported: field 'body' of message 'Loose' is bytes with a length or count, so it follows the line, but the template 'L {body}' has it as a part\n  hint: remove '{body}' from the template: a field that follows the line is not a part of it",
  ],
  'rest-lists': [
    "specs/rest-lists.protocol.yaml:14:15: error rest-not-last: field 'topics' of message 'Early' uses 'rest' (it runs to the end of the frame), which only the last field of a message can use\n  hint: move 'topics' to the end of the message, or give it a length prefix",
    "specs/rest-lists.protocol.yaml:20:24: error rest-list-empty-element: the elements of field 'things' of message 'Nothing' take no bytes, so a list that runs to the end of the frame would never end\n  hint: give the elements at least one field, or count them (count: u8)",
  ],
  'reply-pairing': [
    "specs/reply-pairing.protocol.yaml:20:49: error pair-by-field-absent: 'Publish' pairs its replies by 'packetId', which it carries only when 'qos' is 1 or 2, but the handler expects a reply every time\n  hint: add when: { qos: [1, 2] } to the handler",
    "specs/reply-pairing.protocol.yaml:21:52: error pair-by-field-type: 'Ask' pairs its replies by 'id', which is an i64, but an id the client assigns is a u8, u16 or u32\n  hint: make 'id' a u8, u16 or u32",
    "specs/reply-pairing.protocol.yaml:21:52: error pair-by-field-type: 'Ask' pairs its replies by 'id', but in its reply 'Other' it is an i64\n  hint: give 'Other' the field id, of the same u8, u16 or u32 type as in 'Ask'",
    "specs/reply-pairing.protocol.yaml:21:52: error pair-by-field-unknown: 'Ask' pairs its replies by 'id', but its reply 'Ack' has no field of that name\n  hint: give 'Ack' the field id, of the same u8, u16 or u32 type as in 'Ask'",
    "specs/reply-pairing.protocol.yaml:22:52: error handler-when-value: 'Tell' is answered when 'flag' (a bool) is 1, which it can never be\n  hint: compare an integer with numbers, a bool or b1 with true or false, an enum with its value names",
  ],
  'header-values': [
    "specs/header-values.protocol.yaml:13:22: error const-out-of-range: the constant 300 of header field 'flags' in message 'Hello' does not fit a u8 (0 to 255)\n  hint: pick a value in range or a wider integer type",
    "specs/header-values.protocol.yaml:13:27: error header-value-role: message 'Hello' fixes header field 'type', but it is the discriminator (the message code says it)\n  hint: remove 'type' from the message's 'header'",
    "specs/header-values.protocol.yaml:13:36: error header-value-role: message 'Hello' fixes header field 'version', but it is a constant already\n  hint: remove 'version' from the message's 'header'",
    "specs/header-values.protocol.yaml:13:48: error unknown-header-value: message 'Hello' fixes header field 'flag', but the header has no field of that name\n  hint: did you mean 'flags'?",
  ],
  presence: [
    "specs/presence.protocol.yaml:13:38: error presence-field: flag 'hasNote' says whether 'nte' is present, but no later field of this message has that name\n  hint: did you mean 'note'?",
    "specs/presence.protocol.yaml:14:37: error presence-field: flag 'hasAge' says whether 'age' is present, but 'age' is not declared present when: { hasAge: true }\n  hint: declare 'age' with when: { hasAge: true }",
    "specs/presence.protocol.yaml:23:25: error type-key-not-applicable: 'presence' does not apply to a u8 in field 'wide' of message 'Wide'\n  hint: 'presence' applies to b1 message fields",
  ],
  templates: [
    "specs/templates.protocol.yaml:8:11: error ambiguous-template-parts: line template of message 'Move': parts '{x}' and '{y}' follow each other with no text between them, so where one ends is ambiguous\n  hint: put literal text (such as a space) between the two parts",
    "specs/templates.protocol.yaml:11:11: error invalid-template: line template of message 'Say': '{' at character 5 is never closed\n  hint: close the part with '}', or write '{{' for a literal brace",
    "specs/templates.protocol.yaml:17:7: error field-not-in-template: field 'vale' of message 'Set' is not a part of its line template 'SET {key}={value}'\n  hint: did you mean 'value'?",
  ],
  'text-framing': [
    "specs/text-framing.protocol.yaml:4:18: error text-framing-mismatch: messages use line templates, so this is a text protocol, but framing kind 'length-prefixed' does not cut lines\n  hint: use framing kind 'lines' or 'delimited'",
    "specs/text-framing.protocol.yaml:5:1: error header-in-text-protocol: a text protocol (its messages use line templates) cannot have a binary header\n  hint: remove 'header', or remove the 'line' templates to make the protocol binary",
    "specs/text-framing.protocol.yaml:9:3: error missing-line-template: message 'Blob' has no 'line' template, but this is a text protocol (message 'Line' has one)\n  hint: add a template such as line: '{text}'",
  ],
  'transport-mismatch': [
    "specs/transport-mismatch.protocol.yaml:3:19: error transport-framing-mismatch: transport 'udp' carries datagrams, but framing 'length-prefixed' cuts a byte stream\n  hint: use framing kind 'datagram', 'lines', 'delimited' or 'raw' with 'udp', or a stream transport (tcp, tcp6, unix, tls, websocket)",
    "specs/transport-mismatch.protocol.yaml:3:24: error transport-framing-mismatch: transport 'unix-dgram' carries datagrams, but framing 'length-prefixed' cuts a byte stream\n  hint: use framing kind 'datagram', 'lines', 'delimited' or 'raw' with 'unix-dgram', or a stream transport (tcp, tcp6, unix, tls, websocket)",
  ],
  'type-cycle': [
    "specs/type-cycle.protocol.yaml:12:13: error type-cycle: type 'Node' contains itself: Node → Branch → Node\n  hint: a type cannot contain itself; break the cycle with a list or a separate message",
  ],
  'type-keys': [
    "specs/type-keys.protocol.yaml:9:26: error type-key-not-applicable: 'maxBytes' does not apply to a u8 in field 'small' of message 'Data'\n  hint: 'maxBytes' applies to string, bytes and varint types",
    "specs/type-keys.protocol.yaml:10:51: error max-bytes-exceeds-length-field: maxBytes 300 of field 'name' of message 'Data' does not fit its length (a u8 length prefix holds at most 255)\n  hint: use a wider length prefix or lower maxBytes to 255",
    "specs/type-keys.protocol.yaml:11:40: error timestamp-format-binary: timestamp format 'ctime' in field 'when' of message 'Data' is text; binary protocols carry timestamps as integers\n  hint: use format 'unix-millis' or 'unix-seconds', or a string field",
    "specs/type-keys.protocol.yaml:12:50: error enum-value-out-of-range: enum value HIGH = 256 of field 'level' of message 'Data' does not fit a u8 (0 to 255)\n  hint: pick a value in range or a wider integer type",
    'specs/type-keys.protocol.yaml:13:43: error flag-bit-out-of-range: flag b uses bit 8, but a u8 has bits 0 to 7\n  hint: pick a lower bit or a wider integer type',
    "specs/type-keys.protocol.yaml:14:47: error max-count-exceeds-count-field: maxCount 1000 of field 'list' of message 'Data' does not fit its u8 count (at most 255)\n  hint: use a wider count ('count: u16') or lower maxCount to 255",
    "specs/type-keys.protocol.yaml:15:16: error missing-type: field 'nothing' of message 'Data' has no 'type'\n  hint: add 'type:' with a built-in or named type ('items' makes a list, 'fields' a struct)",
  ],
  // Rules the generator used to find only after check said 0 errors; one error per unknown key.
  constants: [
    "specs/constants.protocol.yaml:6:37: error const-not-allowed-here: 'const' in field 'x' of type 'Point': constants are header or message fields\n  hint: declare the constant on a field under header or a message’s fields (a struct or list element would repeat it in every value)",
    "specs/constants.protocol.yaml:9:39: error const-with-role: header field 'id' is both a constant and the correlation, but the correlation changes from frame to frame\n  hint: remove 'const': the client assigns correlation ids",
    "specs/constants.protocol.yaml:15:29: error const-out-of-range: the constant 300 of field 'a' of message 'Ping' does not fit a u8 (0 to 255)\n  hint: pick a value in range or a wider integer type",
    "specs/constants.protocol.yaml:16:30: error const-type-mismatch: the constant of field 'b' of message 'Ping' must be an integer, since the field is a u16; got \"x\"\n  hint: write an integer, or change the field's type",
    "specs/constants.protocol.yaml:17:10: error missing-type: field 'c' of message 'Ping' has no 'type'\n  hint: add 'type:' with the constant's width on the wire, such as type: u8 or type: u16",
    "specs/constants.protocol.yaml:18:33: error const-length-mismatch: field 'd' of message 'Ping' is the constant of 3 bytes, but its length is a u8 prefix\n  hint: remove 'length' (a constant is written as exactly its 3 bytes), or make it { fixed: 3 }",
    "specs/constants.protocol.yaml:19:32: error const-not-bytes: the constant of field 'e' of message 'Ping' has the character \"€\" at 0, which is not a byte (bytes constants are \\x00-\\xff)\n  hint: write the byte as \\xNN (up to \\xff), or make the field a string (UTF-8)",
    "specs/constants.protocol.yaml:20:56: error const-unknown-enum-value: the constant 'of' of field 'f' of message 'Ping' is not one of its values\n  hint: did you mean 'on'?",
    "specs/constants.protocol.yaml:21:23: error type-key-not-applicable: 'const' does not apply to an f32 in field 'g' of message 'Ping'\n  hint: 'const' applies to integer, enum, bool, string and bytes fields",
    "specs/constants.protocol.yaml:22:38: error const-optional: field 'h' of message 'Ping' is both a constant and optional\n  hint: a constant is always present: remove 'optional' or 'const'",
    "specs/constants.protocol.yaml:27:67: error value-for-constant: the reply to 'Hello' gives a value for 'ok', but it is a constant of message 'Pong' (true), which the encoder always writes\n  hint: remove 'ok' from 'values'",
  ],
  'computed-lengths': [
    "specs/computed-lengths.protocol.yaml:14:37: error length-field-after: field 'early' takes its length from 'later', which comes after it, but the decoder must read the length first\n  hint: move 'later' before 'early'",
    "specs/computed-lengths.protocol.yaml:16:39: error length-field-unknown: field 'missing' takes its length from 'keyLen', but no header field or earlier field of this message has that name\n  hint: integer fields before it: type, id, keyLength, later",
    "specs/computed-lengths.protocol.yaml:17:37: error length-field-type: field 'byId' takes its length from 'id', which is the correlation id, but a length comes from a u8, u16 or u32 field the encoder can fill in\n  hint: declare a separate u8, u16 or u32 field for the length",
    "specs/computed-lengths.protocol.yaml:19:40: error length-field-type: field 'bySigned' takes its length from 'signed', which is an i16, but a length comes from a u8, u16 or u32 field the encoder can fill in\n  hint: make 'signed' a u8, u16 or u32",
    "specs/computed-lengths.protocol.yaml:20:67: error max-bytes-exceeds-length-field: maxBytes 300 of field 'key' does not fit 'keyLength' (a u8 holds at most 255)\n  hint: lower maxBytes to 255, or make 'keyLength' wider",
    "specs/computed-lengths.protocol.yaml:21:37: error length-field-shared: fields 'key' and 'again' both take their size from 'keyLength', so the encoder could not fill it in for both\n  hint: give 'again' its own length field",
    "specs/computed-lengths.protocol.yaml:22:14: error length-field-nested: a length or count inside field 'pairs' names another field, but only a top-level field can take its length from one\n  hint: give the nested value a length or count prefix (length: u16, count: u16)",
  ],
  'sender-constants': [
    "specs/sender-constants.protocol.yaml:6:25: error default-not-applicable: 'default' in type 'Counted': defaults are for header and message fields\n  hint: write 'default' on the field that uses the type",
    "specs/sender-constants.protocol.yaml:12:26: error const-by-sender-both: message 'Ping' is sent by both sides, but header field 'magic' is 128 when the client sends and 129 when the server does\n  hint: declare a client message and a server message instead (they may share a code)",
    "specs/sender-constants.protocol.yaml:17:33: error default-out-of-range: the default 300 of field 'ttl' of message 'Get' does not fit a u8 (0 to 255)\n  hint: pick a value in range or a wider integer type",
    "specs/sender-constants.protocol.yaml:18:25: error default-not-applicable: field 'mode' of message 'Get' has both 'default' and 'optional'\n  hint: keep one of 'default' and 'optional'",
    "specs/sender-constants.protocol.yaml:19:29: error type-key-not-applicable: 'default' does not apply to a string in field 'name' of message 'Get'\n  hint: 'default' applies to integer and enum header and message fields",
    "specs/sender-constants.protocol.yaml:20:41: error default-not-applicable: 'default' in field 'point.x' of message 'Get': defaults are for header and message fields\n  hint: remove 'default'",
    "specs/sender-constants.protocol.yaml:22:32: error const-by-sender-not-applicable: field 'side' of message 'Get' has a constant per sender, which only an integer, enum or bool header field can have\n  hint: write one constant, or move the field to the header",
  ],
  'bit-fields': [
    "specs/bit-fields.protocol.yaml:9:48: error bit-fields-not-byte-aligned: bit fields 'a', 'b' add up to 7 bits, which does not fill whole bytes, so the field after them would start inside a byte\n  hint: add 1 bit (a reserved field such as reserved: { type: b1, const: 0 }), or change the widths",
    "specs/bit-fields.protocol.yaml:10:47: error bit-run-too-long: bit fields 'a', 'b' make a run of 40 bits, more than the 32 one run may have\n  hint: put a whole-byte field between them, or use u8/u16/u32 fields for some of them",
    "specs/bit-fields.protocol.yaml:11:46: error bit-run-width: bit fields 'a', 'b' make a run of 24 bits, but a run is read as one u8, u16 or u32\n  hint: make the run 8, 16 or 32 bits (a reserved field such as reserved: { type: b8, const: 0 } fills it)",
    "specs/bit-fields.protocol.yaml:12:53: error bit-fields-nested: field 'point' has bit fields inside a struct, list or optional, but bit fields are header or message fields\n  hint: move the bit fields to the header or the message, or use whole-byte integers inside",
    "specs/bit-fields.protocol.yaml:13:16: error code-out-of-range: code 16 of message 'Big' does not fit the discriminator 'type' (a b4, 0 to 15)\n  hint: pick a code from 0 to 15, or widen 'type'",
    "specs/bit-fields.protocol.yaml:13:70: error const-out-of-range: the constant 4 of field 'level' of message 'Big' does not fit a b2 (0 to 3)\n  hint: pick a value in range or more bits",
  ],
  checksums: [
    "specs/checksums.protocol.yaml:8:85: error checksum-width: crc32 is 32 bits, but field 'crc' of message 'Wide' is a u16\n  hint: make it type: u32",
    "specs/checksums.protocol.yaml:9:86: error checksum-width: sum8 is 8 bits, but field 'sum' of message 'Signed' is an i8\n  hint: make it type: u8",
    "specs/checksums.protocol.yaml:11:94: error checksum-from-unknown: the checksum 'crc' starts at field 'data', which comes after it, but a checksum covers the bytes before it\n  hint: fields before it: type",
    "specs/checksums.protocol.yaml:12:61: error checksum-not-applicable: field 'sum' of message 'Both' has both 'checksum' and 'default'\n  hint: keep one of 'checksum' and 'default'",
    "specs/checksums.protocol.yaml:13:81: error checksum-not-applicable: 'checksum' in field 'point.sum' of message 'Inner': checksums are header or message fields\n  hint: move the checksum to a header or message field",
  ],
  'many-and-quiet': [
    "specs/many-and-quiet.protocol.yaml:22:39: error many-end: many replies end either 'until' a reply (which is not one of them) or 'through' it, not both\n  hint: write until: { <field>: <value> } (memcached STAT: until: { key: '' }) or through: { <field>: <value> }",
    "specs/many-and-quiet.protocol.yaml:23:31: error many-replies-message: many replies are all one message, but the handler lists 'Item' and 'Other'\n  hint: list exactly one reply message",
    "specs/many-and-quiet.protocol.yaml:24:58: error quiet-barrier: the client sends the barrier 'Flush' of quiet 'Peek' itself, but it has fields a caller must give: 'shard'\n  hint: use a barrier request whose fields all have a default (memcached: Noop)",
    "specs/many-and-quiet.protocol.yaml:25:58: error quiet-barrier: the barrier of quiet 'Look' must be another request that always gets one reply, and 'Peek' is not\n  hint: name a request with handler: { replies: [...] } (memcached: barrier: Noop)",
    "specs/many-and-quiet.protocol.yaml:27:63: error many-end-field: the end of the replies names field 'done', but message 'Row' has no such field\n  hint: its fields are 'name'",
    "specs/many-and-quiet.protocol.yaml:27:75: error many-end-field: the end of the replies compares field 'name' (a string) with 1\n  hint: compare a string or enum with a string, an integer with a number, a bool with true or false",
  ],
  varints: [
    "specs/varints.protocol.yaml:9:42: error varint-max-bytes: maxBytes 6 of field 'tooWide' of message 'Counts' does not fit a 32-bit varint (1 to 5 bytes)\n  hint: pick 1 to 5 (MQTT's remaining length: 4)",
    "specs/varints.protocol.yaml:10:41: error varint-max-bytes: maxBytes 0 of field 'none' of message 'Counts' does not fit a 64-bit varint (1 to 10 bytes)\n  hint: pick 1 to 10 (MQTT's remaining length: 4)",
    "specs/varints.protocol.yaml:12:42: error default-out-of-range: the default -1 of field 'negative' of message 'Counts' does not fit a varint (0 to 4294967295)\n  hint: pick a value in range or a wider integer type",
  ],
  'varint-length': [
    "specs/varint-length.protocol.yaml:4:80: error varint-length-max-bytes: maxBytes 3 of a varint length field must be 1, 2 or 4\n  hint: use 4 (MQTT's remaining length), 2 or 1",
  ],
  'varint-length-order': [
    "specs/varint-length-order.protocol.yaml:6:9: error discriminator-after-varint-length: the discriminator 'type' comes after the varint length at byte 0, whose size varies, so a receiver could not find it at a fixed place\n  hint: declare the discriminator before the length (MQTT: the packet type is in the first byte, the length after it)",
  ],
  switches: [
    "specs/switches.protocol.yaml:10:63: error when-field-unknown: switch 'body' chooses its case by 'later', but no header field or earlier field of this message is called that\n  hint: fields before it: type",
    "specs/switches.protocol.yaml:11:78: error when-field-type: switch 'body' has a case for 'mode' (an enum) being \"shiny\", which it can never be\n  hint: compare with its values: plain, fancy",
    "specs/switches.protocol.yaml:13:85: error switch-case-duplicate: switch 'body' has two cases for 1\n  hint: merge their fields into one case",
    "specs/switches.protocol.yaml:18:85: error switch-field-name: field 'a' in case '_' of switch 'body' is also a field of case '1', but a case's fields become the message's properties\n  hint: give it a name of its own, such as 'aOtherwise'",
    "specs/switches.protocol.yaml:24:71: error switch-field-role: field 'a' in case '1' of switch 'body' has 'default', but the case already decides whether it is in the frame\n  hint: declare it as a plain field of the case, or move it out of the switch",
    "specs/switches.protocol.yaml:26:82: error switch-keys: switch 'body' also has 'type', but a switch only chooses among its cases\n  hint: move the key onto a field inside a case, or remove it; a switch takes 'switch', 'cases' and 'description'",
    "specs/switches.protocol.yaml:27:66: error switch-cases-missing: switch 'body' on 'version' has no cases\n  hint: add cases: { <a value of version>: { <field>: <type> }, _: {} } (one layout per value; '_' for the rest)",
    "specs/switches.protocol.yaml:33:74: error switch-not-applicable: 'cases.1.inner' of field 'body' of message 'Nested' is a switch, but a case cannot hold another switch\n  hint: flatten the inner switch into the outer one's cases",
    "specs/switches.protocol.yaml:42:7: error switch-field-name: switch 'second' has a case field 'x' that switch 'first' also declares, but a case's fields become the message's properties\n  hint: give each case field a name of its own",
  ],
  'switch-places': [
    "specs/switch-places.protocol.yaml:7:15: error switch-not-applicable: header field 'inHeader' is a switch, but every message has the whole header\n  hint: move the switch to the messages whose layout it chooses",
    "specs/switch-places.protocol.yaml:9:31: error switch-not-applicable: field 'inner' of type 'Boxed' is a switch, but only a message field can be a switch\n  hint: move the switch to the message fields, or give each layout its own message",
  ],
  when: [
    "specs/when.protocol.yaml:9:79: error when-field-unknown: field 'extra' is present when 'later' says so, but no header field or earlier field of this message is called that\n  hint: fields before it: type, mode",
    "specs/when.protocol.yaml:10:78: error when-field-type: field 'extra' is present when 'mode' (an enum) is \"shiny\", which it can never be\n  hint: compare with its values: plain, fancy",
    "specs/when.protocol.yaml:11:79: error conflicting-type-keys: field 'extra' of message 'Both' uses both 'optional' and 'when'\n  hint: 'optional' marks presence with a byte, 'when' with an earlier field: keep one",
    "specs/when.protocol.yaml:12:52: error when-nested: a 'when' inside field 'point': only a header or message field can be present on another's say-so\n  hint: use 'optional: true' (a presence byte) inside structs and lists",
  ],
  'reserved-names': [
    "specs/reserved-names.protocol.yaml:8:3: error reserved-name: type 'PingFields' has the name of a type message 'Ping' generates\n  hint: rename the type (for example PingFieldsType)",
    "specs/reserved-names.protocol.yaml:9:3: error reserved-name: type 'Connection' has a name the generated code already uses\n  hint: rename the type (for example ConnectionType)",
    "specs/reserved-names.protocol.yaml:11:3: error reserved-name: message 'Error' would generate the type Error, a name the generated code already uses\n  hint: rename the message (for example ErrorMessage or NamesError)",
    "specs/reserved-names.protocol.yaml:12:3: error reserved-name: message 'Answer' would generate the type Answer, a name the generated code already uses\n  hint: rename the message (for example AnswerMessage or NamesAnswer)",
    "specs/reserved-names.protocol.yaml:13:3: error reserved-name: message 'NamesClient' would generate the type NamesClient, a name the generated code already uses\n  hint: rename the message (for example NamesClientMessage or NamesNamesClient)",
  ],
  'layout-rules': [
    'specs/layout-rules.protocol.yaml:4:64: error length-offset-not-at-field-boundary: the length field is at byte 7, past the end of the fixed-size header fields (byte 2)\n  hint: set offset to one of 0, 1, 2, or declare header fields that fill bytes 2 to 7',
    "specs/layout-rules.protocol.yaml:19:50: error nesting-too-deep: field 'deep' of message 'Deep' nests structs, lists and optionals 9 levels deep, more than the 8 a spec may use\n  hint: flatten the innermost levels into their parent struct",
    "specs/layout-rules.protocol.yaml:20:99: error terminator-inside-utf8: terminator 0xc3 of field 'name' of message 'Named' can occur inside a UTF-8 character, so the string could end in the middle of one\n  hint: use an ASCII byte (0x00-0x7F, usually 0) or one that UTF-8 never uses (0xF8-0xFF)",
    "specs/layout-rules.protocol.yaml:22:62: error unknown-key: unknown key 'constnt' in field 'flag' of message 'Typo'\n  hint: did you mean 'const'?",
  ],
  'unknown-key': [
    "specs/unknown-key.protocol.yaml:5:3: error missing-key: missing required key 'maxFrameBytes' in 'framing'\n  hint: add 'maxFrameBytes:' with an integer from 1 to 2147483647",
    "specs/unknown-key.protocol.yaml:6:3: error unknown-key: unknown key 'maxFrameByte' in 'framing'\n  hint: did you mean 'maxFrameBytes'?",
    "specs/unknown-key.protocol.yaml:11:5: error unknown-key: unknown key 'desription' in message 'Line'\n  hint: did you mean 'description'?",
  ],
  'unknown-type': [
    "specs/unknown-type.protocol.yaml:15:12: error unknown-type: unknown type 'u33' in field 'len' of message 'Join'\n  hint: did you mean 'u32'?",
    "specs/unknown-type.protocol.yaml:16:21: error unknown-type: unknown type 'Nik' in field 'nick' of message 'Join'\n  hint: did you mean 'Nick'?",
    "specs/unknown-type.protocol.yaml:18:3: warning unused-type: type 'Nick' is declared but never used\n  hint: use it in a field or remove it",
  ],
  'wrong-type': [
    "specs/wrong-type.protocol.yaml:3:13: error wrong-type: 'transports' must be a list, got the string 'tcp'",
    "specs/wrong-type.protocol.yaml:6:18: error wrong-type: 'maxFrameBytes' of framing must be an integer from 1 to 2147483647, got the string '64k'",
  ],
  'yaml-syntax': [
    'specs/yaml-syntax.protocol.yaml:4:1: error yaml-syntax: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
};

describe('invalid specs', () => {
  it('has an expectation for every fixture file and a fixture for every expectation', () => {
    const files = readdirSync(fixtures)
      .filter((f) => f.endsWith('.protocol.yaml'))
      .map((f) => f.replace('.protocol.yaml', ''))
      .sort();
    expect(files).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const [name, lines] of Object.entries(expected)) {
    it(`${name}: reports exactly the expected diagnostics and no IR`, () => {
      const text = readFileSync(`${fixtures}${name}.protocol.yaml`, 'utf8');
      const result = compileSpec(text, `specs/${name}.protocol.yaml`);
      expect(result.diagnostics.map(formatDiagnostic)).toEqual(lines);
      expect(result.ir).toBeNull();
    });
  }

  it('reports several independent problems of one file together', () => {
    const text = readFileSync(`${fixtures}several-problems.protocol.yaml`, 'utf8');
    const codes = compileSpec(text, 'specs/several-problems.protocol.yaml').diagnostics.map((d) => d.code);
    expect(new Set(codes).size).toBeGreaterThanOrEqual(5);
  });
});
