// Checks a TOML text before TOMLKit sees it, for the inputs that TOMLKit 0.6.0 (toml++ 3.4) cannot
// be trusted with. All three were found by Tests/Fuzz/PolicyParserFuzz.swift
// (the policy parser fuzzer, when this file lived in Policy):
//
//   1. Control characters. TOML forbids them (except tab, LF, CR), but TOMLKit passes the text as a C
//      string, so a NUL silently ends the document (rules after it would vanish without an error), and
//      toml++ asserts on some control characters.
//   2. A table header whose key starts with anything but a bare-key character or a quote (`[#`,
//      `[ \n`, `[[~`). toml++'s `parse_table_header` calls `parse_key`, which asserts
//      `is_bare_key_character(*cp) || is_string_delimiter(*cp)`: in a debug build that aborts the
//      process, and in a release build the assertion becomes an optimizer assumption (undefined behavior).
//   3. A `}` where an array expects a value (`a = [1, }]`): `parse_array` hands it to `parse_value`,
//      which asserts `!is_value_terminator(*cp)`. Checking that brackets match excludes it.
//
// TOMLReader(parsing:file:) runs this first; it is public so a caller that hands text to TOMLKit
// itself can run it too.
//
// These are toml++ bugs (its parser assumes what it should check); the checks here are the narrow
// guards the fuzzer justified, plus a bracket match that TOML requires anyway.
//
// Finding table headers needs a little lexing: a `[` opens a header only at the start of a line
// (after blanks) outside strings, comments and open arrays or inline tables.

import Foundation

public enum TOMLPreflight {
    /// Throws `TOMLSchemaError.syntax` (with `file`, line and column) for a text TOMLKit must not see.
    public static func check(_ text: String, file: String? = nil) throws {
        let scalars = Array(text.unicodeScalars)
        var line = 1, column = 1
        var i = 0
        var open: [Unicode.Scalar] = []  // unclosed [ and { inside values, innermost last
        var lineStart = true     // only blanks since the last newline
        var inHeader = false     // inside a [table] or [[array]] header line
        func fail(_ message: String) -> TOMLSchemaError { .syntax(file: file, line: line, column: column, message: message) }
        func advance() {
            if scalars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
        func at(_ offset: Int) -> Unicode.Scalar? { i + offset < scalars.count ? scalars[i + offset] : nil }
        func isBareKey(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
        }

        // Control characters first, so that the positions reported below are never confused by them.
        for s in scalars {
            let v = s.value
            if (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F {
                throw fail("control character U+\(String(v, radix: 16, uppercase: true).leftPadded(4)) is not allowed in TOML")
            }
            if v == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        line = 1; column = 1

        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "#":
                while i < scalars.count && scalars[i] != "\n" { advance() }
                continue
            case "\"", "'":
                let triple = at(1) == c && at(2) == c
                let basic = c == "\""
                for _ in 0..<(triple ? 3 : 1) { advance() }
                while i < scalars.count {
                    if basic && scalars[i] == "\\" { advance(); if i < scalars.count { advance() }; continue }
                    if scalars[i] == c && (!triple || (at(1) == c && at(2) == c)) {
                        for _ in 0..<(triple ? 3 : 1) { advance() }
                        break
                    }
                    if !triple && scalars[i] == "\n" { break }  // unterminated; TOMLKit reports it
                    advance()
                }
                lineStart = false
                continue
            case "\n":
                lineStart = true
                inHeader = false
            case " ", "\t", "\r":
                break
            case "[" where open.isEmpty && lineStart:
                // A table header: `[` blanks (`[` blanks) then a key start.
                var j = 1
                while let n = at(j), n == " " || n == "\t" { j += 1 }
                if at(j) == "[" {
                    j += 1
                    while let n = at(j), n == " " || n == "\t" { j += 1 }
                }
                if let n = at(j), !(isBareKey(n) || n == "\"" || n == "'" || n == "]") {
                    column += j
                    throw fail("a table header must start with a key, not U+\(String(n.value, radix: 16, uppercase: true).leftPadded(4))")
                }
                inHeader = true
                lineStart = false
            case "[" where inHeader, "]" where inHeader:
                break
            case "[", "{":
                open.append(c)
                lineStart = false
            case "]", "}":
                let expected: Unicode.Scalar = c == "]" ? "[" : "{"
                guard open.last == expected else { throw fail("\(c) does not close an open \(expected)") }
                open.removeLast()
                lineStart = false
            default:
                lineStart = false
            }
            advance()
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
