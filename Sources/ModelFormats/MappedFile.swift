// ModelFormats: a read-only memory map of a whole file.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory. Pages are loaded on first touch and belong to the page cache,
/// so a multi-gigabyte checkpoint costs no heap until it is read. Unmapped on deinit.
public final class MappedFile {
    public let path: String
    public let size: Int
    /// Start of the mapping; nil for an empty file (mmap cannot map zero bytes).
    public let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ModelFormatsError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelFormatsError.fileUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFormatsError.fileUnreadable(path: path, reason: "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw ModelFormatsError.fileUnreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    /// Tells the kernel the mapped pages may be dropped (they are clean file pages) once copied out.
    public func dropPages() {
        guard let base else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
