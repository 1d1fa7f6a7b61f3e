import CX11
import Foundation
import Imaging

/// A shared-memory XImage of one size, kept between captures: creating and attaching a segment
/// costs more than the capture itself.
final class SharedMemoryImage {
    let image: UnsafeMutablePointer<XImage>
    let info: UnsafeMutablePointer<XShmSegmentInfo>
    let width: Int
    let height: Int
    private var attached = true

    init(image: UnsafeMutablePointer<XImage>, info: UnsafeMutablePointer<XShmSegmentInfo>, width: Int, height: Int) {
        self.image = image
        self.info = info
        self.width = width
        self.height = height
    }

    func release(_ display: OpaquePointer) {
        guard attached else { return }
        attached = false
        if !XErrorTrap.isLost(display) {
            XShmDetach(display, info)
            XSync(display, 0)
        }
        shmdt(info.pointee.shmaddr)
        // XShm's destroy_image frees the XImage structure only, not the segment.
        _ = image.pointee.f.destroy_image(image)
        info.deallocate()
    }
}

extension X11Display {
    /// Which method the next capture will use: "xshm" or "xgetimage".
    public var captureMethodInUse: String { sharedMemoryUnavailable == nil ? "xshm" : "xgetimage" }

    public func capture() throws -> Image {
        try capture(region: PixelRect(x: 0, y: 0, width: screenSize.width, height: screenSize.height))
    }

    public func capture(region: PixelRect) throws -> Image {
        guard !region.isEmpty, region.x >= 0, region.y >= 0, region.maxX <= screenSize.width,
              region.maxY <= screenSize.height else {
            throw DesktopError.regionOutsideScreen(region: region, screenWidth: screenSize.width,
                                                   screenHeight: screenSize.height)
        }
        if sharedMemoryUnavailable == nil {
            do {
                return try captureShared(region)
            } catch let DesktopError.captureFailed(_, _, reason) {
                // The segment could not be attached (typically: the server lives in another IPC
                // namespace). Remember why and use XGetImage from now on.
                sharedMemoryUnavailable = reason
            }
        }
        return try captureGetImage(region)
    }

    /// XGetImage: every pixel travels through the socket. Works everywhere.
    func captureGetImage(_ region: PixelRect) throws -> Image {
        let image = try checked("XGetImage \(region)") {
            XGetImage(display, root, Int32(region.x), Int32(region.y), UInt32(region.width), UInt32(region.height),
                      UInt.max /* AllPlanes */, ZPixmap)
        }
        guard let image else {
            throw DesktopError.captureFailed(display: name, method: "XGetImage", reason: "no image returned for \(region)")
        }
        defer { _ = image.pointee.f.destroy_image(image) }
        return try convert(image, width: region.width, height: region.height)
    }

    /// XShmGetImage into a segment kept for this region size.
    func captureShared(_ region: PixelRect) throws -> Image {
        let segment = try sharedImage(width: region.width, height: region.height)
        let ok = try checked("XShmGetImage \(region)") {
            XShmGetImage(display, root, segment.image, Int32(region.x), Int32(region.y), UInt.max)
        }
        guard ok != 0 else {
            throw DesktopError.captureFailed(display: name, method: "XShmGetImage", reason: "server refused \(region)")
        }
        return try convert(segment.image, width: region.width, height: region.height)
    }

    private func sharedImage(width: Int, height: Int) throws -> SharedMemoryImage {
        if let shm, shm.width == width, shm.height == height { return shm }
        shm?.release(display)
        shm = nil
        guard XShmQueryExtension(display) != 0 else {
            throw DesktopError.captureFailed(display: name, method: "XShm", reason: "the server has no MIT-SHM extension")
        }
        let visual = XDefaultVisual(display, screen)
        let depth = UInt32(XDefaultDepth(display, screen))
        let info = UnsafeMutablePointer<XShmSegmentInfo>.allocate(capacity: 1)
        info.initialize(to: XShmSegmentInfo())
        guard let image = XShmCreateImage(display, visual, depth, ZPixmap, nil, info, UInt32(width), UInt32(height)) else {
            info.deallocate()
            throw DesktopError.captureFailed(display: name, method: "XShm", reason: "XShmCreateImage failed")
        }
        func fail(_ reason: String) -> DesktopError {
            _ = image.pointee.f.destroy_image(image)
            info.deallocate()
            return DesktopError.captureFailed(display: name, method: "XShm", reason: reason)
        }
        let bytes = Int(image.pointee.bytes_per_line) * height
        let id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0o600)
        guard id >= 0 else { throw fail("shmget of \(bytes) bytes: \(String(cString: strerror(errno)))") }
        guard let address = shmat(id, nil, 0), address != UnsafeMutableRawPointer(bitPattern: -1) else {
            shmctl(id, IPC_RMID, nil)
            throw fail("shmat: \(String(cString: strerror(errno)))")
        }
        info.pointee.shmid = id
        info.pointee.shmaddr = address.assumingMemoryBound(to: CChar.self)
        info.pointee.readOnly = 0
        image.pointee.data = info.pointee.shmaddr
        var attachError: Error?
        do {
            let ok = try checked("XShmAttach") { XShmAttach(display, info) }
            if ok == 0 { attachError = DesktopError.captureFailed(display: name, method: "XShm", reason: "XShmAttach returned false") }
        } catch let DesktopError.connectionLost(d, op) {
            shmctl(id, IPC_RMID, nil)
            shmdt(address)
            throw DesktopError.connectionLost(display: d, during: op)
        } catch {
            attachError = error
        }
        // Marked for removal now: it disappears when both sides detach, even if we crash.
        shmctl(id, IPC_RMID, nil)
        if let attachError {
            shmdt(address)
            throw fail("the server could not attach the segment (another IPC namespace?): \(attachError)")
        }
        let segment = SharedMemoryImage(image: image, info: info, width: width, height: height)
        shm = segment
        return segment
    }

    /// Converts a ZPixmap XImage of a true-colour visual into RGB8.
    private func convert(_ image: UnsafeMutablePointer<XImage>, width: Int, height: Int) throws -> Image {
        let x = image.pointee
        guard let data = x.data else { throw DesktopError.imageConversion("XImage without data") }
        let format = Image.PackedFormat(bytesPerPixel: Int(x.bits_per_pixel) / 8, bigEndian: x.byte_order == MSBFirst,
                                        redMask: UInt32(truncatingIfNeeded: x.red_mask),
                                        greenMask: UInt32(truncatingIfNeeded: x.green_mask),
                                        blueMask: UInt32(truncatingIfNeeded: x.blue_mask))
        guard Int(x.width) >= width, Int(x.height) >= height else {
            throw DesktopError.imageConversion("XImage is \(x.width)x\(x.height), expected \(width)x\(height)")
        }
        do {
            return try Image(packed: UnsafeRawPointer(data), width: width, height: height,
                             bytesPerRow: Int(x.bytes_per_line), format: format)
        } catch {
            throw DesktopError.imageConversion("\(error) (depth \(x.depth), \(x.bits_per_pixel) bits per pixel)")
        }
    }
}
