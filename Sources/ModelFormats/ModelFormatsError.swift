// ModelFormats: the module's one error type. Every case names the file or tensor at fault.

/// Errors reading model files. Messages are meant for a user who pointed the tool at the wrong file.
public enum ModelFormatsError: Error, Equatable, CustomStringConvertible {
    case fileUnreadable(path: String, reason: String)
    case fileTooSmall(path: String, size: Int, minimum: Int)
    case headerOutOfBounds(path: String, headerLength: UInt64, fileSize: Int)
    case headerNotJSON(path: String, reason: String)
    case malformedTensorEntry(path: String, name: String, reason: String)
    case unknownDType(path: String, name: String, dtype: String)
    case unsupportedDType(name: String, dtype: String)
    case tensorOutOfBounds(name: String, offset: Int, length: Int, fileSize: Int)
    case tensorSizeMismatch(name: String, shape: [Int], dtype: String, byteCount: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case missingTensor(name: String)
    case unexpectedTensor(name: String)
    case tensorShapeMismatch(name: String, expected: [Int], actual: [Int])
    case duplicateTensor(name: String, files: [String])
    case indexMalformed(path: String, reason: String)
    case shardMissing(shard: String, index: String)
    case tensorNotInShard(name: String, shard: String)
    case noCheckpoint(directory: String)
    case npyMalformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .fileTooSmall(path, size, minimum):
            return "\(path) is \(size) bytes, smaller than the \(minimum) bytes a safetensors file needs (truncated?)"
        case let .headerOutOfBounds(path, headerLength, fileSize):
            return "\(path): safetensors header claims \(headerLength) bytes but the file has \(fileSize) (truncated or not a safetensors file)"
        case let .headerNotJSON(path, reason):
            return "\(path): safetensors header is not valid JSON: \(reason)"
        case let .malformedTensorEntry(path, name, reason):
            return "\(path): tensor '\(name)': \(reason)"
        case let .unknownDType(path, name, dtype):
            return "\(path): tensor '\(name)' has unknown dtype '\(dtype)'"
        case let .unsupportedDType(name, dtype):
            return "tensor '\(name)' has dtype \(dtype); only F32, F16 and BF16 can be read as float32"
        case let .tensorOutOfBounds(name, offset, length, fileSize):
            return "tensor '\(name)' at offset \(offset) with \(length) bytes runs past the end of the file (\(fileSize) bytes; truncated?)"
        case let .tensorSizeMismatch(name, shape, dtype, byteCount):
            return "tensor '\(name)': shape \(shape) of \(dtype) does not fit its \(byteCount) data bytes"
        case let .overlappingTensors(path, first, second):
            return "\(path): data of tensors '\(first)' and '\(second)' overlap"
        case let .missingTensor(name):
            return "checkpoint is missing tensor '\(name)'"
        case let .unexpectedTensor(name):
            return "checkpoint has unexpected tensor '\(name)' (wrong model or configuration?)"
        case let .tensorShapeMismatch(name, expected, actual):
            return "tensor '\(name)' has shape \(actual) but the configuration needs \(expected)"
        case let .duplicateTensor(name, files):
            return "tensor '\(name)' appears in more than one file: \(files.joined(separator: ", "))"
        case let .indexMalformed(path, reason):
            return "\(path): \(reason)"
        case let .shardMissing(shard, index):
            return "shard '\(shard)' named in \(index) does not exist"
        case let .tensorNotInShard(name, shard):
            return "tensor '\(name)' is mapped to shard '\(shard)' but that shard does not contain it"
        case let .noCheckpoint(directory):
            return "no model.safetensors, model.safetensors.index.json or *.safetensors in \(directory)"
        case let .npyMalformed(path, reason):
            return "\(path): not a float32 .npy file: \(reason)"
        }
    }
}
