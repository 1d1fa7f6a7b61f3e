// GPT-2's reversible byte ↔ printable-character table (tokenizers/src/pre_tokenizers/byte_level.rs,
// `bytes_char`): vocabulary strings spell each byte as one character so that no token contains a space or
// a control character. Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` stand for themselves; the other 68 bytes map, in
// order, to U+0100, U+0101, … (so a space is `Ġ` U+0120 and a newline `Ċ` U+010A).

enum ByteLevel {
    /// `character[b]` spells byte `b`.
    static let characters: [Character] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        // Every value is below 0x200, a valid scalar.
        return table.map { Character(Unicode.Scalar($0) ?? "?") }
    }()

    /// The inverse of `characters`, indexed by scalar value (all of them are below U+0144); -1 where a
    /// scalar spells no byte.
    static let bytesByScalar: [Int16] = {
        var map = [Int16](repeating: -1, count: 0x144)
        for (b, c) in characters.enumerated() {
            if let v = c.unicodeScalars.first?.value, Int(v) < map.count { map[Int(v)] = Int16(b) }
        }
        return map
    }()

    /// The raw bytes a vocabulary string stands for. As the ByteLevel decoder does, a string with any
    /// character outside the table (an added token such as `<|im_start|>` is inside it; one with a space
    /// is not) stands for its own UTF-8 bytes.
    static func decode(_ token: String) -> [UInt8] {
        let table = bytesByScalar
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let v = Int(scalar.value)
            guard v < table.count, table[v] >= 0 else { return Array(token.utf8) }
            out.append(UInt8(table[v]))
        }
        return out
    }

    /// The vocabulary spelling of raw bytes.
    static func encode<S: Sequence>(_ raw: S) -> String where S.Element == UInt8 {
        var s = ""
        for b in raw { s.append(characters[Int(b)]) }
        return s
    }
}
