// ModelFormats: NumPy .npy v1.0 files of little-endian float32.
// Format: numpy/lib/format.py ("Format Version 1.0").
import Foundation

/// Reads and writes `.npy` v1.0 files holding C-order `<f4` arrays.
///
/// ```
/// "\x93NUMPY" 0x01 0x00 | u16 LE header length H | H bytes ASCII dict, space padded, ends "\n" | data
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }     (10 + H) is a multiple of 64
/// ```
public enum NPYFile {
    /// The encoded bytes of a float32 array of `shape`.
    public static func encode(shape: [Int], values: [Float]) -> Data {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let h = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(h & 0xFF), UInt8(h >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress)?
            .assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        return data
    }

    /// Writes a float32 array to `path`.
    public static func write(shape: [Int], values: [Float], to path: String) throws {
        do {
            try encode(shape: shape, values: values).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ModelFormatsError.fileUnreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a C-order `<f4` array from `path`.
    public static func read(path: String) throws -> (shape: [Int], values: [Float]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelFormatsError.fileUnreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, path: path)
    }

    /// Decodes `.npy` bytes; `path` only labels errors.
    public static func decode(_ data: Data, path: String = "<npy>") throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](data)
        func bad(_ reason: String) -> ModelFormatsError { .npyMalformed(path: path, reason: reason) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw bad("missing the \\x93NUMPY magic")
        }
        guard bytes[6] == 1 else { throw bad("version \(bytes[6]).\(bytes[7]) (only 1.0 is read)") }
        let h = Int(bytes[8]) | Int(bytes[9]) << 8
        guard 10 + h <= bytes.count, let header = String(bytes: bytes[10..<(10 + h)], encoding: .ascii) else {
            throw bad("header runs past the end of the file")
        }
        guard header.contains("'descr': '<f4'") else { throw bad("dtype is not '<f4'") }
        guard header.contains("'fortran_order': False") else { throw bad("Fortran order is not supported") }
        guard let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")") else { throw bad("no shape") }
        var shape: [Int] = []
        for part in header[open.upperBound..<close].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let d = Int(t), d >= 0 else { throw bad("shape entry '\(t)' is not a size") }
            shape.append(d)
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw bad("shape overflows") }
            count = p
        }
        let (need, needOverflows) = count.multipliedReportingOverflow(by: 4)
        guard !needOverflows else { throw bad("shape overflows") }
        guard bytes.count - 10 - h == need else {
            throw bad("\(bytes.count - 10 - h) data bytes for shape \(shape) (need \(need))")
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(10 + h)...]))
            }
        }
        return (shape, values)
    }
}
