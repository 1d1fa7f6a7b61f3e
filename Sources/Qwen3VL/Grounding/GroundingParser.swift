// Qwen3VL: reads a grounding answer out of model text.
import Foundation

// The answer format follows QwenLM/Qwen3-VL `cookbooks/2d_grounding.ipynb` (its parser strips the ```json fence
// and reads `item["point_2d"]`, `item["bbox_2d"]`, `item["label"]`).

/// Parses `point_2d` / `bbox_2d` answers.
///
/// Accepted: a ```` ```json ```` (or bare ```` ``` ````) fenced block or bare JSON anywhere in the text; a list of
/// objects or a single object. Tolerant of truncation, because generation stops at a token budget: a list cut
/// off mid-element keeps its complete elements. Strict on everything else, because model output is untrusted:
/// coordinates must be JSON numbers (not strings), `point_2d` exactly 2 and `bbox_2d` exactly 4 of them, all
/// within 0…1000; `label` must be a string; every element needs a point or a box. Anything else is
/// `Qwen3VLError.notAGrounding` naming what was wrong.
public enum GroundingParser {
    public static func parse(_ answer: String) throws -> [Grounding] {
        func fail(_ reason: String) -> Qwen3VLError { .notAGrounding(reason: reason, answer: answer) }
        let text = Array(jsonRegion(of: answer).utf8)
        guard let start = text.firstIndex(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }) else {
            throw fail("no JSON list or object in it")
        }
        var reader = Reader(bytes: text, position: start)
        let value: JSON
        var truncated = false
        do {
            value = try reader.value(keepingCompleteListElements: true)
        } catch Reader.Failure.truncated(let partial) {
            guard let partial else { throw fail("it is cut off before the first complete element") }
            value = partial
            truncated = true
        } catch Reader.Failure.malformed(let why) {
            throw fail("malformed JSON: \(why)")
        }
        let elements: [JSON]
        switch value {
        case .array(let items): elements = items
        case .object: elements = [value]
        default: throw fail("the JSON is neither a list nor an object")
        }
        guard !elements.isEmpty else {
            throw fail(truncated ? "it is cut off before the first complete element" : "the list is empty")
        }
        return try elements.enumerated().map { index, element in
            try grounding(element, index: index, fail: fail)
        }
    }

    /// The text inside the first ``` fence if there is one (up to the closing fence, or to the end when the
    /// answer was cut off inside it), else the whole answer.
    static func jsonRegion(of answer: String) -> Substring {
        guard let open = answer.range(of: "```") else { return Substring(answer) }
        var rest = answer[open.upperBound...]
        if let newline = rest.firstIndex(of: "\n") {
            let tag = rest[..<newline].trimmingCharacters(in: .whitespaces)
            if tag.isEmpty || tag.allSatisfy({ $0.isLetter }) { rest = rest[rest.index(after: newline)...] }
        }
        if let close = rest.range(of: "```") { return rest[..<close.lowerBound] }
        return rest
    }

    static func grounding(_ element: JSON, index: Int, fail: (String) -> Qwen3VLError) throws -> Grounding {
        guard case .object(let fields) = element else { throw fail("element \(index) is not an object") }
        var g = Grounding()
        for (key, value) in fields {
            switch key {
            case "point_2d":
                let v = try numbers(value, count: 2, name: "element \(index) point_2d", fail: fail)
                g.point = GridPoint(x: v[0], y: v[1])
            case "bbox_2d":
                let v = try numbers(value, count: 4, name: "element \(index) bbox_2d", fail: fail)
                guard v[0] <= v[2], v[1] <= v[3] else {
                    throw fail("element \(index) bbox_2d \(v) has its corners the wrong way round")
                }
                g.box = GridBox(x1: v[0], y1: v[1], x2: v[2], y2: v[3])
            case "label":
                guard case .string(let s) = value else { throw fail("element \(index) label is not a string") }
                g.label = s
            default:
                continue   // other keys (e.g. "confidence") are allowed and ignored
            }
        }
        guard g.point != nil || g.box != nil else { throw fail("element \(index) has neither point_2d nor bbox_2d") }
        return g
    }

    static func numbers(_ value: JSON, count: Int, name: String, fail: (String) -> Qwen3VLError) throws -> [Double] {
        guard case .array(let items) = value else { throw fail("\(name) is not a list") }
        guard items.count == count else { throw fail("\(name) has \(items.count) values, expected \(count)") }
        return try items.enumerated().map { i, item in
            guard case .number(let x) = item else { throw fail("\(name)[\(i)] is not a number") }
            guard x.isFinite, x >= 0, x <= 1000 else { throw fail("\(name)[\(i)] = \(x) is outside the 0–1000 grid") }
            return x
        }
    }

    /// The JSON subset a grounding needs. Keys keep their order of appearance.
    indirect enum JSON: Equatable {
        case object([(String, JSON)])
        case array([JSON])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null

        static func == (a: JSON, b: JSON) -> Bool {
            switch (a, b) {
            case let (.object(x), .object(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case let (.array(x), .array(y)): return x == y
            case let (.string(x), .string(y)): return x == y
            case let (.number(x), .number(y)): return x == y
            case let (.bool(x), .bool(y)): return x == y
            case (.null, .null): return true
            default: return false
            }
        }
    }

    /// A recursive-descent JSON reader over UTF-8 bytes that reports running out of input separately from
    /// malformed input, carrying the complete elements of the outermost list read so far.
    struct Reader {
        enum Failure: Error {
            case truncated(partial: JSON?)
            case malformed(String)
        }

        let bytes: [UInt8]
        var position: Int
        var depth = 0

        init(bytes: [UInt8], position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func peek() throws -> UInt8 {
            skipSpace()
            guard position < bytes.count else { throw Failure.truncated(partial: nil) }
            return bytes[position]
        }

        mutating func expect(_ c: Character) throws {
            let b = try peek()
            guard b == c.asciiValue else { throw Failure.malformed("expected '\(c)' at byte \(position)") }
            position += 1
        }

        mutating func value(keepingCompleteListElements keep: Bool = false) throws -> JSON {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw Failure.malformed("nested deeper than 64 levels") }
            let b = try peek()
            switch b {
            case UInt8(ascii: "["): return try array(keep: keep)
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func array(keep: Bool) throws -> JSON {
            position += 1
            var items: [JSON] = []
            if try peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                do {
                    items.append(try value())
                    let b = try peek()
                    position += 1
                    if b == UInt8(ascii: "]") { return .array(items) }
                    guard b == UInt8(ascii: ",") else { throw Failure.malformed("expected ',' or ']' at byte \(position - 1)") }
                } catch Failure.truncated {
                    // Only the outermost list keeps what it has: a cut-off inner list is not a valid value.
                    throw Failure.truncated(partial: keep && !items.isEmpty ? .array(items) : nil)
                }
            }
        }

        mutating func object() throws -> JSON {
            position += 1
            var fields: [(String, JSON)] = []
            if try peek() == UInt8(ascii: "}") { position += 1; return .object(fields) }
            while true {
                guard try peek() == UInt8(ascii: "\"") else { throw Failure.malformed("expected a key at byte \(position)") }
                let key = try string()
                try expect(":")
                fields.append((key, try value()))
                let b = try peek()
                position += 1
                if b == UInt8(ascii: "}") { return .object(fields) }
                guard b == UInt8(ascii: ",") else { throw Failure.malformed("expected ',' or '}' at byte \(position - 1)") }
            }
        }

        mutating func string() throws -> String {
            position += 1   // opening quote
            var out: [UInt8] = []
            while position < bytes.count {
                let b = bytes[position]
                position += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw Failure.truncated(partial: nil) }
                    let e = bytes[position]
                    position += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard position + 4 <= bytes.count else { throw Failure.truncated(partial: nil) }
                        let hex = String(decoding: bytes[position..<position + 4], as: UTF8.self)
                        guard let code = UInt32(hex, radix: 16) else { throw Failure.malformed("bad \\u escape") }
                        position += 4
                        // Surrogate halves are not characters; U+FFFD stands in (labels are display text only).
                        out.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    default: throw Failure.malformed("bad escape at byte \(position - 1)")
                    }
                case 0..<0x20:
                    throw Failure.malformed("control character in a string at byte \(position - 1)")
                default:
                    out.append(b)
                }
            }
            throw Failure.truncated(partial: nil)
        }

        mutating func literal(_ word: String) throws {
            for c in word.utf8 {
                guard position < bytes.count else { throw Failure.truncated(partial: nil) }
                guard bytes[position] == c else { throw Failure.malformed("unexpected byte at \(position)") }
                position += 1
            }
        }

        mutating func number() throws -> Double {
            let start = position
            let allowed = Set("+-0123456789.eE".utf8)
            while position < bytes.count, allowed.contains(bytes[position]) { position += 1 }
            // A number running into the end of the text may be cut off (`12` of `123`).
            guard position < bytes.count else { throw Failure.truncated(partial: nil) }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            guard !text.isEmpty, isJSONNumber(text), let v = Double(text) else {
                throw Failure.malformed("'\(text.isEmpty ? String(UnicodeScalar(bytes[start])) : text)' at byte \(start) is not a JSON value")
            }
            return v
        }

        /// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` — so no `NaN`, `+1`, `.5`.
        func isJSONNumber(_ s: String) -> Bool {
            var chars = Array(s.utf8)[...]
            func digits() -> Int {
                var n = 0
                while let c = chars.first, (0x30...0x39).contains(c) { chars = chars.dropFirst(); n += 1 }
                return n
            }
            if chars.first == UInt8(ascii: "-") { chars = chars.dropFirst() }
            if chars.first == UInt8(ascii: "0") { chars = chars.dropFirst() } else if digits() == 0 { return false }
            if chars.first == UInt8(ascii: ".") { chars = chars.dropFirst(); if digits() == 0 { return false } }
            if let c = chars.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                chars = chars.dropFirst()
                if let s = chars.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { chars = chars.dropFirst() }
                if digits() == 0 { return false }
            }
            return chars.isEmpty
        }
    }
}
