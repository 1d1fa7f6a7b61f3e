// Where log bytes go. A protocol so tests can make writes and fsyncs fail; the real one is a file
// opened O_APPEND and written with write(2) (no user-space buffer, so a killed process loses nothing
// that `append` returned for).

import Foundation

public protocol AuditStorage: AnyObject {
    func append(_ bytes: [UInt8]) throws
    func sync() throws
}

public final class AuditFileStorage: AuditStorage {
    let path: String
    private var fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditError.io(operation: "open", path: path, errno: errno) }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func append(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditError.io(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    public func sync() throws {
        guard fsync(fd) == 0 else { throw AuditError.io(operation: "fsync", path: path, errno: errno) }
    }
}

enum AuditFiles {
    /// Makes a new directory entry durable (after creating the log or a blob).
    static func syncDirectory(_ path: String) throws {
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError.io(operation: "open directory", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AuditError.io(operation: "fsync directory", path: path, errno: errno) }
    }

    static func writeFileDurably(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = Foundation.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AuditError.io(operation: "create", path: tmp, errno: errno) }
        var ok = true
        data.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                offset += n
            }
        }
        let err = errno
        guard ok, fsync(fd) == 0 else {
            close(fd); unlink(tmp)
            throw AuditError.io(operation: "write", path: tmp, errno: ok ? errno : err)
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw AuditError.io(operation: "rename", path: path, errno: e)
        }
    }
}
