// Stage 1 of the pipeline: the normalizer (tokenizer.json `normalizer`). Qwen uses `{"type": "NFC"}`.
// Port of tokenizers/src/normalizers/unicode.rs (NFC), applied to each piece of text left between
// added tokens, as tokenizers' AddedVocabulary does: a token like `<|im_start|>` is matched on the raw
// text first, so `<|im_start|>\u{338}` keeps its `>` instead of becoming `≯`.
//
// The reference normalizes with the `unicode-normalization-alignments` crate, whose data is Unicode 9.0:
// marks assigned later have combining class 0 there and are not reordered. Foundation's NFC uses newer
// data (and on Linux does not compose a Hangul LV syllable with a following T jamo), so NFC is done here,
// UAX #15 over the tables in NFCTables.swift, which scripts/make-nfc-tables.py measures from the reference.

import StrictJSON

public enum Normalizer: Equatable, Sendable {
    case none
    case nfc

    init(json: JSONValue?) throws {
        guard let json, !json.isNull else {
            self = .none
            return
        }
        guard let type = json["type"]?.stringValue else { throw TokenizerError.missingField(path: "normalizer.type") }
        switch type {
        case "NFC": self = .nfc
        default: throw TokenizerError.unsupported(path: "normalizer.type", value: type)
        }
    }

    /// The normalized UTF-8 bytes of `bytes` (which must be valid UTF-8).
    func normalize(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        switch self {
        case .none:
            return Array(bytes)
        case .nfc:
            // Every scalar below U+0300 is NFC-stable and no composition pairs it with a following scalar
            // below U+0300, so text whose UTF-8 bytes are all below 0xCC (the lead byte of U+0300) is
            // already NFC. This keeps ASCII and Latin-1 text off the slower path.
            if !bytes.contains(where: { $0 >= 0xCC }) { return Array(bytes) }
            let data = NormalizationData.shared
            let scalars = NormalizationData.scalars(of: bytes)
            // Most non-Latin text (CJK, emoji) has no scalar that decomposes, reorders or composes.
            guard scalars.contains(where: { data.mayChange($0) }) else { return Array(bytes) }
            return NormalizationData.utf8(of: data.nfc(scalars))
        }
    }
}

/// Lookup structures built once from NFCTables.
final class NormalizationData: Sendable {
    static let shared = NormalizationData()

    let combiningClass: [UInt32: UInt8]
    let decomposition: [UInt32: (UInt32, UInt32)]
    let composition: [UInt64: UInt32]
    /// One bit per scalar: set where the scalar decomposes, has a non-zero class, or can be the second
    /// half of a composition. Text without such a scalar is already NFC.
    private let changeBits: [UInt64]

    // Hangul syllable arithmetic (Unicode §3.12).
    static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    static let nCount: UInt32 = 21 * 28, sCount: UInt32 = 19 * 21 * 28

    private init() {
        var bits = [UInt64](repeating: 0, count: 0x110000 / 64)
        func mark(_ v: UInt32) { bits[Int(v >> 6)] |= 1 << UInt64(v & 63) }
        var ccc: [UInt32: UInt8] = [:]
        for packed in NFCTables.combiningClasses {
            ccc[packed >> 8] = UInt8(truncatingIfNeeded: packed)
            mark(packed >> 8)
        }
        var dec: [UInt32: (UInt32, UInt32)] = [:]
        let d = NFCTables.decompositions
        for i in stride(from: 0, to: d.count - 2, by: 3) {
            dec[d[i]] = (d[i + 1], d[i + 2])
            mark(d[i])
        }
        var comp: [UInt64: UInt32] = [:]
        let c = NFCTables.compositions
        for i in stride(from: 0, to: c.count - 2, by: 3) {
            comp[UInt64(c[i]) << 32 | UInt64(c[i + 1])] = c[i + 2]
            mark(c[i + 1])
        }
        for v in NormalizationData.vBase..<(NormalizationData.vBase + NormalizationData.vCount) { mark(v) }
        for v in (NormalizationData.tBase + 1)..<(NormalizationData.tBase + NormalizationData.tCount) { mark(v) }
        combiningClass = ccc
        decomposition = dec
        composition = comp
        changeBits = bits
    }

    /// The scalar values of valid UTF-8 (from a Swift String).
    static func scalars(of bytes: ArraySlice<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b0 = UInt32(bytes[i])
            if b0 < 0x80 {
                out.append(b0)
                i += 1
            } else if b0 < 0xE0, i + 1 < end {
                out.append((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F))
                i += 2
            } else if b0 < 0xF0, i + 2 < end {
                out.append((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F))
                i += 3
            } else if i + 3 < end {
                out.append((b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F))
                i += 4
            } else {
                out.append(0xFFFD)  // unreachable for valid UTF-8
                i += 1
            }
        }
        return out
    }

    static func utf8(of scalars: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count * 3)
        for v in scalars {
            if v < 0x80 {
                out.append(UInt8(v))
            } else if v < 0x800 {
                out.append(UInt8(0xC0 | v >> 6))
                out.append(UInt8(0x80 | v & 0x3F))
            } else if v < 0x10000 {
                out.append(UInt8(0xE0 | v >> 12))
                out.append(UInt8(0x80 | (v >> 6) & 0x3F))
                out.append(UInt8(0x80 | v & 0x3F))
            } else {
                out.append(UInt8(0xF0 | v >> 18))
                out.append(UInt8(0x80 | (v >> 12) & 0x3F))
                out.append(UInt8(0x80 | (v >> 6) & 0x3F))
                out.append(UInt8(0x80 | v & 0x3F))
            }
        }
        return out
    }

    @inline(__always)
    func mayChange(_ v: UInt32) -> Bool {
        v < 0x110000 && changeBits[Int(v >> 6)] & (1 << UInt64(v & 63)) != 0
    }

    func ccc(_ v: UInt32) -> UInt8 {
        mayChange(v) ? combiningClass[v] ?? 0 : 0
    }

    /// Canonical decomposition, canonical ordering, canonical composition (UAX #15).
    func nfc(_ input: [UInt32]) -> [UInt32] {
        var decomposed: [UInt32] = []
        decomposed.reserveCapacity(input.count + 8)
        for v in input { decompose(v, into: &decomposed) }

        // Canonical ordering: a stable sort of every run of non-starters by class.
        var i = 0
        while i < decomposed.count {
            guard ccc(decomposed[i]) != 0 else {
                i += 1
                continue
            }
            var j = i
            while j < decomposed.count && ccc(decomposed[j]) != 0 { j += 1 }
            if j - i > 1 {
                let run = decomposed[i..<j].enumerated().sorted {
                    let (a, b) = (ccc($0.element), ccc($1.element))
                    return a != b ? a < b : $0.offset < $1.offset
                }
                for (k, item) in run.enumerated() { decomposed[i + k] = item.element }
            }
            i = j
        }

        // Composition: each character joins the last starter unless a character between them blocks it
        // (one with class 0, or with a class not lower than its own).
        var out: [UInt32] = []
        out.reserveCapacity(decomposed.count)
        var starter = -1
        var lastClass = -1  // class of the last character kept after the starter; -1: none
        for v in decomposed {
            let cc = Int(ccc(v))
            if starter >= 0, mayChange(v), lastClass == -1 || (lastClass != 0 && lastClass < cc),
               let composite = compose(out[starter], v) {
                out[starter] = composite
                continue
            }
            if cc == 0 {
                starter = out.count
                lastClass = -1
            } else {
                lastClass = cc
            }
            out.append(v)
        }
        return out
    }

    private func decompose(_ v: UInt32, into out: inout [UInt32]) {
        if v < 0xC0 || (!mayChange(v) && (v < NormalizationData.sBase || v >= NormalizationData.sBase + NormalizationData.sCount)) {
            out.append(v)
            return
        }
        let s = v &- NormalizationData.sBase
        if s < NormalizationData.sCount {
            out.append(NormalizationData.lBase + s / NormalizationData.nCount)
            out.append(NormalizationData.vBase + (s % NormalizationData.nCount) / NormalizationData.tCount)
            let t = s % NormalizationData.tCount
            if t != 0 { out.append(NormalizationData.tBase + t) }
            return
        }
        guard let (first, second) = decomposition[v] else {
            out.append(v)
            return
        }
        decompose(first, into: &out)
        if second != 0 { decompose(second, into: &out) }
    }

    private func compose(_ a: UInt32, _ b: UInt32) -> UInt32? {
        let l = a &- NormalizationData.lBase, vv = b &- NormalizationData.vBase
        if l < NormalizationData.lCount && vv < NormalizationData.vCount {
            return NormalizationData.sBase + (l * NormalizationData.vCount + vv) * NormalizationData.tCount
        }
        let s = a &- NormalizationData.sBase, t = b &- NormalizationData.tBase
        if s < NormalizationData.sCount && s % NormalizationData.tCount == 0 && t > 0 && t < NormalizationData.tCount {
            return a + t
        }
        return composition[UInt64(a) << 32 | UInt64(b)]
    }
}
