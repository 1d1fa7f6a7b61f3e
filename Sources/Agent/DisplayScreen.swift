// `Screen` and `InputDriver` over `Desktop.Display` (the real X11 display, or a test's fake).
//
// Actions arrive here in screen pixels, already parsed, mapped and authorized. The one translation
// that is a choice: the schema's scroll `pixels` become wheel notches at one notch per
// `pixelsPerNotch` (rounded, at least 1, at most `maximumNotches`), because X scrolls by notches.

import Actions
import Desktop
import Imaging

public final class DisplayScreen: Screen, InputDriver {
    public let display: Display
    public static let pixelsPerNotch = 100.0
    public static let maximumNotches = 30

    public init(display: Display) { self.display = display }

    public func capture() throws -> Frame {
        let image = try display.capture()
        return Frame(width: image.width, height: image.height, rgb: image.pixels)
    }

    public func window(atX x: Int, y: Int) throws -> WindowInfo? { try display.window(at: ScreenPoint(x: x, y: y)) }

    public func focusedWindow() throws -> WindowInfo? { try display.focusedWindow() }

    public func pointerPosition() throws -> (x: Int, y: Int)? {
        guard let x11 = display as? X11Display else { return nil }
        let p = try x11.pointerPosition()
        return (p.x, p.y)
    }

    public func perform(_ action: Action) throws -> [String] {
        func point(_ p: Point?) -> ScreenPoint? { p.map { ScreenPoint(x: Int($0.x), y: Int($0.y)) } }
        func at(_ p: ScreenPoint?) -> String { p.map { " at \($0)" } ?? " at the pointer" }
        switch action {
        case .key(let chord):
            try display.pressChord(chord.keys)
            return ["press \(chord.keys.joined(separator: " ")), release in reverse"]
        case .type(let text):
            try display.type(text)
            return ["type \(text.count) characters"]
        case .mouseMove(let p):
            let target = ScreenPoint(x: Int(p.x), y: Int(p.y))
            try display.movePointer(to: target)
            return ["move pointer to \(target)"]
        case .leftClick(let p):
            try display.click(.left, at: point(p), count: 1)
            return ["left click" + at(point(p))]
        case .rightClick(let p):
            try display.click(.right, at: point(p), count: 1)
            return ["right click" + at(point(p))]
        case .middleClick(let p):
            try display.click(.middle, at: point(p), count: 1)
            return ["middle click" + at(point(p))]
        case .doubleClick(let p):
            try display.click(.left, at: point(p), count: 2)
            return ["double click" + at(point(p))]
        case .tripleClick(let p):
            try display.click(.left, at: point(p), count: 3)
            return ["triple click" + at(point(p))]
        case .leftClickDrag(let p):
            let target = ScreenPoint(x: Int(p.x), y: Int(p.y))
            try display.drag(from: nil, to: target)
            return ["drag from the pointer to \(target)"]
        case .scroll(let pixels, let p):
            let n = DisplayScreen.notches(pixels)
            try display.scroll(pixels > 0 ? .up : .down, steps: n, at: point(p))
            return ["scroll \(pixels > 0 ? "up" : "down") \(n) notches" + at(point(p))]
        case .hscroll(let pixels, let p):
            let n = DisplayScreen.notches(pixels)
            try display.scroll(pixels > 0 ? .left : .right, steps: n, at: point(p))
            return ["scroll \(pixels > 0 ? "left" : "right") \(n) notches" + at(point(p))]
        case .wait, .terminate, .answer:
            // The loop never sends these here; they have no input events.
            return []
        }
    }

    static func notches(_ pixels: Double) -> Int {
        min(maximumNotches, max(1, Int((abs(pixels) / pixelsPerNotch).rounded())))
    }
}
