import ArgumentParser
import Desktop
import Foundation
import Imaging

/// `understudy screenshot [--display :N] [--out F.png]`: the screen (or a region) as PNG.
struct ScreenshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screenshot",
        abstract: "Capture the screen as PNG.",
        discussion: """
            With --out, writes the file and prints a JSON summary on stdout (size, capture method, \
            timings). Without it, the PNG bytes go to stdout.
            """)

    @OptionGroup var displayOption: DisplayOption

    @Option(name: .long, help: "Write the PNG here instead of to stdout.")
    var out: String?

    @Option(name: .long, help: "Capture only this region, as WxH+X+Y (e.g. 200x100+10+20).")
    var region: String?

    @Option(name: .long, help: "zlib level 0-9 (1 is fast and the default).")
    var level: Int = 1

    @Flag(name: .long, help: "Use XGetImage even where XShm works.")
    var xgetimage = false

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be within 0...9") }
        if let region, ScreenshotCommand.parseRegion(region) == nil {
            throw ValidationError("--region must look like WxH+X+Y, e.g. 200x100+10+20")
        }
    }

    func run() throws {
        let display = try displayOption.open(capture: xgetimage ? .getImage : .automatic)
        let start = Date()
        let image = try region.flatMap(ScreenshotCommand.parseRegion).map { try display.capture(region: $0) }
            ?? display.capture()
        let captured = Date()
        let png = try image.pngData(level: level)
        let encoded = Date()
        if let reason = display.sharedMemoryUnavailable, !xgetimage {
            StandardError.print("screenshot: XShm unavailable, used XGetImage: \(reason)")
        }
        guard let out else {
            FileHandle.standardOutput.write(Data(png))
            return
        }
        do {
            try Data(png).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw ImagingError.fileError(path: out, reason: "\(error)")
        }
        try JSONOutput.print([
            "path": out, "width": image.width, "height": image.height, "bytes": png.count,
            "capture": display.captureMethodInUse,
            "capture_ms": (captured.timeIntervalSince(start) * 1000 * 100).rounded() / 100,
            "encode_ms": (encoded.timeIntervalSince(captured) * 1000 * 100).rounded() / 100,
        ] as [String: Any])
    }

    /// "WxH+X+Y" → PixelRect.
    static func parseRegion(_ text: String) -> PixelRect? {
        let parts = text.split(whereSeparator: { $0 == "x" || $0 == "+" }).map { Int($0) }
        guard parts.count == 4, let w = parts[0], let h = parts[1], let x = parts[2], let y = parts[3],
              w > 0, h > 0, x >= 0, y >= 0, text.filter({ $0 == "x" }).count == 1 else { return nil }
        return PixelRect(x: x, y: y, width: w, height: h)
    }
}
