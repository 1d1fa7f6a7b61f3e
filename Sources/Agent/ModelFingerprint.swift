// The weight hash of a model directory for the audit trail (session_start's `weight_hash`): SHA-256
// over every file the engine reads — configuration, tokenizer and every safetensors file, whole.
//
// Each file is hashed on its own (the shards in parallel, one per core) and the result is the SHA-256
// of the list "name, byte count, file hash" in name order, so the value identifies the exact bytes
// the engine runs: two checkpoints that differ in a single weight hash differently. Cost: one read of
// the checkpoint (the engine maps the same bytes right after, so they are then in the page cache).

import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ModelFingerprint {
    /// Files hashed when present, besides the safetensors shards.
    static let otherFiles = ["config.json", "generation_config.json", "preprocessor_config.json",
                             "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                             "chat_template.json", "model.safetensors.index.json"]

    /// Hex SHA-256 of the directory's model files (see the top of the file).
    public static func sha256(directory: String) throws -> String {
        let fm = FileManager.default
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: directory) } catch {
            throw AgentError.modelUnusable(path: directory, reason: "cannot list it: \(error.localizedDescription)")
        }
        let shards = entries.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !shards.isEmpty else { throw AgentError.modelUnusable(path: directory, reason: "no *.safetensors file") }
        let names = otherFiles.filter { entries.contains($0) }.sorted() + shards
        let paths = names.map { (directory as NSString).appendingPathComponent($0) }

        var results = [Result<(size: UInt64, digest: String), AgentError>?](repeating: nil, count: paths.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let r: Result<(size: UInt64, digest: String), AgentError>
            do { r = .success(try fileSHA256(paths[i])) } catch let e as AgentError { r = .failure(e) } catch {
                r = .failure(.modelUnusable(path: paths[i], reason: "\(error)"))
            }
            lock.lock(); results[i] = r; lock.unlock()
        }
        var list = ""
        for (name, result) in zip(names, results) {
            switch result {
            case .success(let file)?: list += "\(name)\n\(file.size)\n\(file.digest)\n"
            case .failure(let error)?: throw error
            case nil: throw AgentError.modelUnusable(path: name, reason: "not hashed")
            }
        }
        return hex(SHA256.hash(data: Data(list.utf8)))
    }

    /// SHA-256 of one file's bytes, read in 4 MiB blocks.
    static func fileSHA256(_ path: String) throws -> (size: UInt64, digest: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AgentError.modelUnusable(path: path, reason: "cannot open it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let blockSize = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var size: UInt64 = 0
        while true {
            let n = read(fd, buffer, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentError.modelUnusable(path: path, reason: "cannot read it: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            size += UInt64(n)
        }
        return (size, hex(hasher.finalize()))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
