// ModelFormats: a Hugging Face checkpoint directory, single-file or sharded.
// Sharding as written by transformers `save_pretrained` (`modeling_utils.py`): `model.safetensors.index.json`
// = {"metadata": {...}, "weight_map": {"tensor name": "model-0000k-of-0000n.safetensors", ...}}.
import Foundation
import StrictJSON

/// All tensors of a checkpoint directory behind one name lookup.
public final class SafetensorsCheckpoint {
    public let directory: String
    /// Every tensor, by name.
    public let tensors: [String: TensorInfo]
    private let files: [SafetensorsFile]
    private let fileOfTensor: [String: Int]

    /// Opens `model.safetensors.index.json` if present, else `model.safetensors`, else every
    /// `*.safetensors` in the directory (a tensor may then appear in only one of them).
    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
        let singlePath = (directory as NSString).appendingPathComponent("model.safetensors")
        var files: [SafetensorsFile] = []
        var fileOfTensor: [String: Int] = [:]
        var tensors: [String: TensorInfo] = [:]

        if fm.fileExists(atPath: indexPath) {
            let weightMap = try Self.readWeightMap(indexPath)
            var shardIndex: [String: Int] = [:]
            for shard in Set(weightMap.values).sorted() {
                // A shard name is a file beside the index, never a path elsewhere.
                guard !shard.contains("/"), shard != "..", shard != ".", !shard.isEmpty else {
                    throw ModelFormatsError.indexMalformed(path: indexPath, reason: "shard name '\(shard)' is not a plain file name")
                }
                let shardPath = (directory as NSString).appendingPathComponent(shard)
                guard fm.fileExists(atPath: shardPath) else {
                    throw ModelFormatsError.shardMissing(shard: shard, index: indexPath)
                }
                shardIndex[shard] = files.count
                files.append(try SafetensorsFile(path: shardPath))
            }
            for (name, shard) in weightMap {
                guard let i = shardIndex[shard], let info = files[i].tensors[name] else {
                    throw ModelFormatsError.tensorNotInShard(name: name, shard: shard)
                }
                tensors[name] = info
                fileOfTensor[name] = i
            }
        } else {
            var paths: [String] = []
            if fm.fileExists(atPath: singlePath) {
                paths = [singlePath]
            } else {
                let listing = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
                paths = listing.filter { $0.hasSuffix(".safetensors") }.sorted()
                    .map { (directory as NSString).appendingPathComponent($0) }
            }
            guard !paths.isEmpty else { throw ModelFormatsError.noCheckpoint(directory: directory) }
            for path in paths {
                let file = try SafetensorsFile(path: path)
                for (name, info) in file.tensors {
                    if let previous = fileOfTensor[name] {
                        throw ModelFormatsError.duplicateTensor(name: name, files: [files[previous].path, path])
                    }
                    tensors[name] = info
                    fileOfTensor[name] = files.count
                }
                files.append(file)
            }
        }
        self.files = files
        self.fileOfTensor = fileOfTensor
        self.tensors = tensors
    }

    private static func readWeightMap(_ indexPath: String) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: indexPath)) } catch {
            throw ModelFormatsError.fileUnreadable(path: indexPath, reason: error.localizedDescription)
        }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch let error as JSONParseError {
            throw ModelFormatsError.indexMalformed(path: indexPath, reason: "not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard case .object = root else {
            throw ModelFormatsError.indexMalformed(path: indexPath, reason: "not a JSON object")
        }
        guard case let .object(map)? = root["weight_map"] else {
            throw ModelFormatsError.indexMalformed(path: indexPath, reason: "no 'weight_map' object")
        }
        var out: [String: String] = [:]
        for (name, value) in map {
            guard case let .string(shard) = value else {
                throw ModelFormatsError.indexMalformed(path: indexPath, reason: "weight_map entry '\(name)' is not a file name")
            }
            out[name] = shard
        }
        return out
    }

    /// Paths of the files behind this checkpoint.
    public var filePaths: [String] { files.map(\.path) }

    /// Total bytes of tensor data.
    public var tensorBytes: Int { tensors.values.reduce(0) { $0 + $1.byteCount } }

    /// Widens tensor `name` to float32 into `destination` (room for `elementCount` floats).
    public func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let info = tensors[name], let i = fileOfTensor[name] else {
            throw ModelFormatsError.missingTensor(name: name)
        }
        try files[i].readFloats(info, into: destination)
    }

    /// The raw little-endian bytes of tensor `name` inside the memory mapping (bounds checked on open and
    /// here). Valid while this checkpoint object lives: keep a reference to it alongside the pointer.
    public func mappedBytes(_ name: String) throws -> UnsafeRawPointer {
        guard let info = tensors[name], let i = fileOfTensor[name] else {
            throw ModelFormatsError.missingTensor(name: name)
        }
        return try files[i].bytes(info)
    }

    /// Tensor `name` as a float32 array.
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw ModelFormatsError.missingTensor(name: name) }
        var out = [Float](repeating: 0, count: info.elementCount)
        try out.withUnsafeMutableBufferPointer { buffer in
            if let p = buffer.baseAddress { try readFloats(name, into: p) }
        }
        return out
    }

    /// Strict loading: every declared tensor exists with exactly its declared shape, and every tensor in
    /// the checkpoint is declared, unless its name starts with one of `deferredPrefixes` (parts of the
    /// model another loader owns, such as the vision tower) or is listed in `tolerated`.
    /// Errors name the first offending tensor in sorted order, so the message is deterministic.
    public func verify(declared: [String: [Int]], deferredPrefixes: [String] = [], tolerated: Set<String> = []) throws {
        for name in declared.keys.sorted() {
            guard let info = tensors[name] else { throw ModelFormatsError.missingTensor(name: name) }
            let expected = declared[name] ?? []
            guard info.shape == expected else {
                throw ModelFormatsError.tensorShapeMismatch(name: name, expected: expected, actual: info.shape)
            }
            guard info.dtype.isFloat32Readable else {
                throw ModelFormatsError.unsupportedDType(name: name, dtype: info.dtype.rawValue)
            }
        }
        for name in tensors.keys.sorted() where declared[name] == nil && !tolerated.contains(name) {
            if deferredPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            throw ModelFormatsError.unexpectedTensor(name: name)
        }
    }

    /// Lets the kernel drop every mapped page (call after the weights have been copied out).
    public func dropPages() { files.forEach { $0.dropPages() } }
}
