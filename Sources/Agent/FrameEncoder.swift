// Image work the loop needs, behind a protocol so the loop's tests need no libpng.

import Desktop

/// PNG encoding and the image operations the loop needs (the command line supplies `Imaging`'s).
public protocol FrameEncoder {
    func png(_ frame: Frame) throws -> [UInt8]
    func resized(_ frame: Frame, width: Int, height: Int) throws -> Frame
    /// The frame with the action's target marked, for approval prompts.
    func annotated(_ frame: Frame, target: (x: Int, y: Int)?, window: WindowInfo?) throws -> Frame
}
