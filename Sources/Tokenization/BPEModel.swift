// Stage 3 of the pipeline: the byte-level BPE model (tokenizer.json `model`, type "BPE").
// Port of tokenizers/src/models/bpe/{model.rs,word.rs}.
//
// The vocabulary spells bytes with GPT-2's printable alphabet (ByteLevel.swift); here a word is its raw
// UTF-8 bytes, each byte starts as the id of its one-character token, and merges work on ids: the pair
// (left id, right id) maps to (rank, merged id). Like word.rs `merge_all`, the pair with the lowest rank
// merges first and, among equal ranks, the leftmost one. Short words (almost all) use a linear scan;
// long ones use a priority queue so a megabyte-long run of letters stays O(n log n).

import StrictJSON

public struct BPEModel: Sendable {
    /// Vocabulary spelling of each id (nil for ids the vocabulary skips).
    let tokens: [String?]
    let tokenToID: [String: Int]
    /// The id of the one-byte token for each byte, or -1 (the byte is then dropped, as in model.rs when
    /// there is no unknown token).
    let byteIDs: [Int32]
    let merges: MergeTable
    /// `ignore_merges`: a word that is itself in the vocabulary becomes that one token.
    let ignoreMerges: Bool
    let unknownID: Int32?

    /// Ids index arrays, so they are bounded: 27× Qwen's vocabulary, yet a hostile file cannot make a
    /// table larger than a few tens of megabytes.
    static let maximumID = 1 << 22

    /// Words with more symbols than this go through the priority queue (internal so tests can force it).
    var heapThreshold = 64

    init(json: JSONValue?) throws {
        guard let json, case .object = json else { throw TokenizerError.missingField(path: "model") }
        let type = json["type"]?.stringValue ?? "BPE"
        guard type == "BPE" else { throw TokenizerError.unsupported(path: "model.type", value: type) }
        if let dropout = json["dropout"], !dropout.isNull {
            guard case .number(let text) = dropout, let value = Double(text) else {
                throw TokenizerError.wrongType(path: "model.dropout", expected: "a number or null")
            }
            if value != 0 { throw TokenizerError.unsupported(path: "model.dropout", value: "\(value)") }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = json[key], !v.isNull {
                guard let s = v.stringValue else { throw TokenizerError.wrongType(path: "model.\(key)", expected: "a string") }
                if !s.isEmpty { throw TokenizerError.unsupported(path: "model.\(key)", value: s) }
            }
        }
        if json["byte_fallback"]?.boolValue == true {
            throw TokenizerError.unsupported(path: "model.byte_fallback", value: "true")
        }
        ignoreMerges = json["ignore_merges"]?.boolValue ?? false

        // Vocabulary
        guard let vocabJSON = json["vocab"] else { throw TokenizerError.missingField(path: "model.vocab") }
        guard let vocab = vocabJSON.objectValue else { throw TokenizerError.wrongType(path: "model.vocab", expected: "an object") }
        let maximumID = BPEModel.maximumID
        var tokenToID: [String: Int] = [:]
        tokenToID.reserveCapacity(vocab.count)
        var maxID = -1
        for member in vocab {
            guard let id = member.value.intValue else {
                throw TokenizerError.wrongType(path: "model.vocab[\(member.key.debugDescription)]", expected: "an integer id")
            }
            guard id >= 0 && id < maximumID else {
                throw TokenizerError.invalidVocabularyEntry(token: member.key, id: id, reason: "id out of range 0..<\(maximumID)")
            }
            tokenToID[member.key] = id
            maxID = max(maxID, id)
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        for member in vocab {
            guard let id = member.value.intValue else { continue }
            if let other = tokens[id], other != member.key {
                throw TokenizerError.invalidVocabularyEntry(token: member.key, id: id, reason: "id already used by \(other.debugDescription)")
            }
            tokens[id] = member.key
        }
        self.tokens = tokens
        self.tokenToID = tokenToID

        if let unk = json["unk_token"], !unk.isNull {
            guard let name = unk.stringValue else { throw TokenizerError.wrongType(path: "model.unk_token", expected: "a string") }
            guard let id = tokenToID[name] else { throw TokenizerError.unsupported(path: "model.unk_token", value: name) }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }

        byteIDs = (0..<256).map { b in
            tokenToID[String(ByteLevel.characters[b])].map { Int32($0) } ?? -1
        }

        // Merges: `["a", "b"]` pairs (tokenizers ≥ 0.20) or legacy `"a b"` strings.
        guard let mergesJSON = json["merges"] else { throw TokenizerError.missingField(path: "model.merges") }
        guard let mergeList = mergesJSON.arrayValue else { throw TokenizerError.wrongType(path: "model.merges", expected: "an array") }
        var table = MergeTable(capacity: mergeList.count)
        for (rank, merge) in mergeList.enumerated() {
            let left: String, right: String
            switch merge {
            case .array(let parts):
                guard parts.count == 2, let a = parts[0].stringValue, let b = parts[1].stringValue else {
                    throw TokenizerError.malformedMerge(index: rank, value: merge.pythonJSON)
                }
                (left, right) = (a, b)
            case .string(let line):
                // model.rs convert_merges_to_hashmap: exactly two parts split on " ".
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError.malformedMerge(index: rank, value: line) }
                (left, right) = (String(parts[0]), String(parts[1]))
            default:
                throw TokenizerError.malformedMerge(index: rank, value: merge.pythonJSON)
            }
            guard let a = tokenToID[left] else { throw TokenizerError.unknownMergeToken(index: rank, token: left) }
            guard let b = tokenToID[right] else { throw TokenizerError.unknownMergeToken(index: rank, token: right) }
            guard let merged = tokenToID[left + right] else {
                throw TokenizerError.mergeResultNotInVocabulary(index: rank, merged: left + right)
            }
            // A repeated pair keeps the later rank, as collecting into a HashMap does in model.rs.
            table.insert(left: UInt32(a), right: UInt32(b), rank: UInt32(rank), merged: UInt32(merged))
        }
        merges = table
    }

    var vocabularySize: Int { tokens.count }

    /// Appends the ids of one pre-token (raw bytes) to `output`.
    func tokenize(_ word: ArraySlice<UInt8>, scratch: inout BPEScratch, into output: inout [Int]) {
        if ignoreMerges, let id = tokenToID[ByteLevel.encode(word)] {
            output.append(id)
            return
        }
        // Take the buffer out of the scratch (a plain copy would share it and copy on the first write).
        var symbols: [Int32] = []
        swap(&symbols, &scratch.symbols)
        defer { swap(&symbols, &scratch.symbols) }
        symbols.removeAll(keepingCapacity: true)
        for b in word {
            let id = byteIDs[Int(b)]
            if id >= 0 {
                symbols.append(id)
            } else if let unknownID {
                symbols.append(unknownID)
            }
        }
        if symbols.count > heapThreshold {
            mergeWithQueue(&symbols)
        } else {
            mergeLinear(&symbols, ranks: &scratch.ranks, mergedIDs: &scratch.mergedIDs)
        }
        for s in symbols { output.append(Int(s)) }
    }

    /// Repeatedly merges the leftmost lowest-rank pair; O(n²) comparisons but no allocation.
    private func mergeLinear(_ symbols: inout [Int32], ranks: inout [UInt32], mergedIDs: inout [Int32]) {
        guard symbols.count > 1 else { return }
        ranks.removeAll(keepingCapacity: true)
        mergedIDs.removeAll(keepingCapacity: true)
        for i in 0..<(symbols.count - 1) {
            let (rank, merged) = merges.lookup(left: UInt32(symbols[i]), right: UInt32(symbols[i + 1]))
            ranks.append(rank)
            mergedIDs.append(Int32(bitPattern: merged))
        }
        while true {
            // ranks[i] is the pair (symbols[i], symbols[i+1])
            var best = UInt32.max
            var at = -1
            for i in 0..<ranks.count where ranks[i] < best {
                best = ranks[i]
                at = i
            }
            if at < 0 { break }
            symbols[at] = mergedIDs[at]
            symbols.remove(at: at + 1)
            ranks.remove(at: at)
            mergedIDs.remove(at: at)
            if at > 0 {
                let (rank, merged) = merges.lookup(left: UInt32(symbols[at - 1]), right: UInt32(symbols[at]))
                ranks[at - 1] = rank
                mergedIDs[at - 1] = Int32(bitPattern: merged)
            }
            if at < symbols.count - 1 {
                let (rank, merged) = merges.lookup(left: UInt32(symbols[at]), right: UInt32(symbols[at + 1]))
                ranks[at] = rank
                mergedIDs[at] = Int32(bitPattern: merged)
            }
        }
    }

    /// word.rs `merge_all`: a min-queue of (rank, position); entries made stale by an earlier merge are
    /// recognized and skipped when popped.
    private func mergeWithQueue(_ symbols: inout [Int32]) {
        let n = symbols.count
        var ids = symbols
        var previous = [Int](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = i - 1 }
            count = n
        }
        var next = [Int](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = i + 1 < n ? i + 1 : -1 }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)
        var queue = MergeQueue()
        for i in 0..<(n - 1) {
            let (rank, merged) = merges.lookup(left: UInt32(ids[i]), right: UInt32(ids[i + 1]))
            if rank != .max { queue.push(MergeQueue.Entry(rank: rank, position: i, merged: Int32(bitPattern: merged))) }
        }
        while let top = queue.pop() {
            let pos = top.position
            guard alive[pos] else { continue }
            let right = next[pos]
            guard right >= 0 else { continue }
            let (_, merged) = merges.lookup(left: UInt32(ids[pos]), right: UInt32(ids[right]))
            guard Int32(bitPattern: merged) == top.merged, merged != .max else { continue }
            ids[pos] = top.merged
            alive[right] = false
            let afterRight = next[right]
            next[pos] = afterRight
            if afterRight >= 0 { previous[afterRight] = pos }
            let before = previous[pos]
            if before >= 0 {
                let (rank, m) = merges.lookup(left: UInt32(ids[before]), right: UInt32(ids[pos]))
                if rank != .max { queue.push(MergeQueue.Entry(rank: rank, position: before, merged: Int32(bitPattern: m))) }
            }
            if afterRight >= 0 {
                let (rank, m) = merges.lookup(left: UInt32(ids[pos]), right: UInt32(ids[afterRight]))
                if rank != .max { queue.push(MergeQueue.Entry(rank: rank, position: pos, merged: Int32(bitPattern: m))) }
            }
        }
        symbols.removeAll(keepingCapacity: true)
        var i = 0
        while i >= 0 {
            symbols.append(ids[i])
            i = next[i]
        }
    }
}

/// Buffers reused across the words of one encode call.
struct BPEScratch {
    var symbols: [Int32] = []
    var ranks: [UInt32] = []
    var mergedIDs: [Int32] = []
}

/// An open-addressing hash table from an id pair to (rank, merged id). The hottest lookup of encoding;
/// Swift's Dictionary (seeded SipHash) is several times slower for these fixed-size keys.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: MergeTable.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    mutating func insert(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32) {
        let key = UInt64(left) << 32 | UInt64(right)
        var i = slot(key)
        while keys[i] != MergeTable.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        values[i] = UInt64(rank) << 32 | UInt64(merged)
    }

    /// (rank, merged id), or (UInt32.max, UInt32.max) when the pair does not merge.
    @inline(__always)
    func lookup(left: UInt32, right: UInt32) -> (UInt32, UInt32) {
        let key = UInt64(left) << 32 | UInt64(right)
        var i = slot(key)
        return keys.withUnsafeBufferPointer { k in
            while true {
                let stored = k[i]
                if stored == key {
                    let v = values[i]
                    return (UInt32(truncatingIfNeeded: v >> 32), UInt32(truncatingIfNeeded: v))
                }
                if stored == MergeTable.empty { return (.max, .max) }
                i = (i + 1) & mask
            }
        }
    }
}

/// A binary min-heap ordered by (rank, position), as word.rs orders `Merge`.
struct MergeQueue {
    struct Entry {
        var rank: UInt32
        var position: Int
        var merged: Int32

        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var heap: [Entry] = []

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var child = left
            if left + 1 < heap.count && heap[left + 1].precedes(heap[left]) { child = left + 1 }
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            parent = child
        }
        return top
    }
}
