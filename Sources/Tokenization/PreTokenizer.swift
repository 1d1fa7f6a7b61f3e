// Stage 2 of the pipeline: the pre-tokenizer (tokenizer.json `pre_tokenizer`). Qwen2/Qwen3 use
//
//   Sequence[ Split(Regex, behavior: Isolated, invert: false),
//             ByteLevel(add_prefix_space: false, use_regex: false) ]
//
// with the regex (tokenizers evaluates it with Oniguruma):
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// ByteLevel with use_regex false only maps bytes to printable characters, which the BPE model here does
// on raw bytes instead, so this stage is just the split. NSRegularExpression is far too slow for the
// required throughput, so the regex is a hand-written scanner over Unicode scalars that takes the first
// alternative that matches at each position, exactly as the backtracking engine does:
//
//   1. `(?i:'s|'t|'re|'ve|'m|'ll|'d)`  an ASCII apostrophe and a case-folded suffix (Oniguruma folds
//                                      U+017F LATIN SMALL LETTER LONG S to `s`).
//   2. `[^\r\n\p{L}\p{N}]?\p{L}+`      one optional scalar that is neither CR, LF, letter nor number, then letters.
//   3. `\p{N}`                          one number scalar (so digits are tokenized one by one).
//   4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`      optional U+0020, a run of "other" scalars, trailing CR/LF.
//   5. `\s*[\r\n]+`                     a whitespace run up to and including its last CR or LF.
//   6. `\s+(?!\S)`                      a whitespace run without CR/LF: all of it at the end of the text,
//                                      else all but its last scalar (which then prefixes the next token).
//   7. `\s+`                            what 6 leaves: a single whitespace scalar before a non-space.
//
// \p{L} is General_Category L*, \p{N} is N*, \s is the White_Space property, all as of Unicode 16.0.

import StrictJSON

public struct PreTokenizer: Equatable, Sendable {
    /// The only split pattern implemented, verbatim from Qwen's tokenizer.json.
    public static let qwen2Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init(json: JSONValue?) throws {
        guard let json, !json.isNull else { throw TokenizerError.missingField(path: "pre_tokenizer") }
        guard let type = json["type"]?.stringValue else { throw TokenizerError.missingField(path: "pre_tokenizer.type") }
        guard type == "Sequence" else { throw TokenizerError.unsupported(path: "pre_tokenizer.type", value: type) }
        guard let steps = json["pretokenizers"]?.arrayValue else {
            throw TokenizerError.missingField(path: "pre_tokenizer.pretokenizers")
        }
        guard steps.count == 2 else {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers", value: "\(steps.count) steps")
        }
        let split = steps[0]
        guard split["type"]?.stringValue == "Split" else {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[0].type",
                                             value: split["type"]?.stringValue ?? "?")
        }
        guard let pattern = split["pattern"]?["Regex"]?.stringValue else {
            throw TokenizerError.missingField(path: "pre_tokenizer.pretokenizers[0].pattern.Regex")
        }
        guard pattern == PreTokenizer.qwen2Pattern else {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[0].pattern.Regex", value: pattern)
        }
        let behavior = split["behavior"]?.stringValue ?? "?"
        guard behavior == "Isolated" else {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[0].behavior", value: behavior)
        }
        if split["invert"]?.boolValue == true {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[0].invert", value: "true")
        }
        let byteLevel = steps[1]
        guard byteLevel["type"]?.stringValue == "ByteLevel" else {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[1].type",
                                             value: byteLevel["type"]?.stringValue ?? "?")
        }
        if byteLevel["add_prefix_space"]?.boolValue == true {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[1].add_prefix_space", value: "true")
        }
        if byteLevel["use_regex"]?.boolValue == true {
            throw TokenizerError.unsupported(path: "pre_tokenizer.pretokenizers[1].use_regex", value: "true")
        }
    }

    init() {}

    /// The Unicode version of the reference regex engine's property tables.
    static let unicodeVersion = (major: 16, minor: 0)

    // Scalar classes, as bit flags.
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 4
    static let crlf: UInt8 = 8

    /// Classes of the Basic Multilingual Plane, computed once (a few milliseconds), so most text needs no
    /// Unicode property lookup.
    static let bmpClasses: [UInt8] = (0..<0x10000).map { classify(UInt32($0)) }

    static func classify(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        let properties = scalar.properties
        // The reference's Oniguruma (6.9.10) has Unicode 16.0 data; to it a newer character is unassigned,
        // neither letter, number nor space. Swift's tables may be newer (Unicode 17 in Swift 6.3).
        if let age = properties.age, age.major > PreTokenizer.unicodeVersion.major
            || (age.major == PreTokenizer.unicodeVersion.major && age.minor > PreTokenizer.unicodeVersion.minor) {
            return 0
        }
        var flags: UInt8 = 0
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            flags |= number
        default:
            break
        }
        if properties.isWhitespace { flags |= whitespace }
        if value == 0x0A || value == 0x0D { flags |= crlf }
        return flags
    }

    /// Calls `body` with the byte range of each pre-token of `bytes` (UTF-8), in order. The ranges tile
    /// `bytes` exactly.
    func split(_ bytes: [UInt8], _ body: (Range<Int>) -> Void) {
        // Decode once: scalar values, their classes, and where each starts.
        var values: [UInt32] = []
        var classes: [UInt8] = []
        var starts: [Int] = []
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count + 1)
        let bmp = PreTokenizer.bmpClasses
        var i = 0
        let n = bytes.count
        while i < n {
            starts.append(i)
            let b0 = bytes[i]
            if b0 < 0x80 {
                values.append(UInt32(b0))
                classes.append(bmp[Int(b0)])
                i += 1
                continue
            }
            // Input comes from a Swift String, so it is valid UTF-8; a malformed byte is still consumed
            // alone and classed as "other" rather than trusted.
            var value: UInt32 = 0xFFFD
            var length = 1
            if b0 >= 0xC2 && b0 < 0xE0, i + 1 < n {
                value = UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                length = 2
            } else if b0 >= 0xE0 && b0 < 0xF0, i + 2 < n {
                value = UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                length = 3
            } else if b0 >= 0xF0 && b0 < 0xF5, i + 3 < n {
                value = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                length = 4
            }
            values.append(value)
            classes.append(value < 0x10000 ? bmp[Int(value)] : PreTokenizer.classify(value))
            i += length
        }
        let count = values.count
        starts.append(n)

        let letter = PreTokenizer.letter, number = PreTokenizer.number
        let whitespace = PreTokenizer.whitespace, crlf = PreTokenizer.crlf

        func isLetter(_ k: Int) -> Bool { k < count && classes[k] & letter != 0 }
        func isOther(_ k: Int) -> Bool { k < count && classes[k] & (letter | number | whitespace) == 0 }
        func letterRun(from k: Int) -> Int {
            var j = k
            while j < count && classes[j] & letter != 0 { j += 1 }
            return j
        }
        func lower(_ k: Int) -> UInt32 {
            guard k < count else { return 0 }
            let v = values[k]
            if v >= 0x41 && v <= 0x5A { return v + 0x20 }
            if v == 0x017F { return 0x73 }  // ſ folds to s
            return v
        }

        var p = 0
        while p < count {
            let c = classes[p]
            var end = -1
            // 1. contractions
            if values[p] == 0x27 {
                let s1 = lower(p + 1)
                switch s1 {
                case 0x73, 0x74, 0x6D, 0x64:  // s t m d
                    end = p + 2
                case 0x72, 0x76:  // r v → re ve
                    if lower(p + 2) == 0x65 { end = p + 3 }
                case 0x6C:  // l → ll
                    if lower(p + 2) == 0x6C { end = p + 3 }
                default:
                    break
                }
            }
            if end < 0 {
                if c & letter != 0 {
                    // 2. letters
                    end = letterRun(from: p)
                } else if c & (crlf | letter | number) == 0 && isLetter(p + 1) {
                    // 2. one prefix scalar, then letters
                    end = letterRun(from: p + 1)
                } else if c & number != 0 {
                    // 3. one number
                    end = p + 1
                } else if (values[p] == 0x20 && isOther(p + 1)) || c & (letter | number | whitespace) == 0 {
                    // 4. optional space, others, CR/LF
                    var j = values[p] == 0x20 ? p + 1 : p
                    while isOther(j) { j += 1 }
                    while j < count && classes[j] & crlf != 0 { j += 1 }
                    end = j
                } else {
                    // c is whitespace: 5, 6 or 7
                    var j = p
                    var lastBreak = -1
                    while j < count && classes[j] & whitespace != 0 {
                        if classes[j] & crlf != 0 { lastBreak = j }
                        j += 1
                    }
                    if lastBreak >= 0 {
                        end = lastBreak + 1
                    } else if j == count || j - p == 1 {
                        end = j
                    } else {
                        end = j - 1
                    }
                }
            }
            body(starts[p]..<starts[end])
            p = end
        }
    }
}
