// Qwen3VL: the key/value cache, allocated once for a fixed context length.
import Tensors

/// Per layer, keys and values of every position so far: `[capacity, Hkv·hd]` each, post-RoPE keys
/// (reference notes §4.4: "KV cache stores post-RoPE K"). Allocated up front; `length` grows as tokens
/// are processed and `reset()` starts a new sequence without reallocating.
public final class KVCache {
    public let capacity: Int
    let keys: [Matrix]      // per layer [capacity, Hkv·hd]
    let values: [Matrix]    // per layer [capacity, Hkv·hd]
    /// Positions filled so far.
    public internal(set) var length = 0

    public init(configuration c: TextConfiguration, capacity: Int) {
        self.capacity = capacity
        keys = (0..<c.layerCount).map { _ in Matrix(rows: capacity, cols: c.kvHeadCount * c.headDim) }
        values = (0..<c.layerCount).map { _ in Matrix(rows: capacity, cols: c.kvHeadCount * c.headDim) }
    }

    public func reset() { length = 0 }

    public var byteCount: Int { (keys + values).reduce(0) { $0 + $1.byteCount } }
}
