import CX11
import Foundation

/// Pointer input through XTest: the server treats these events as if they came from a device.
extension X11Display {
    /// Where the pointer is now.
    public func pointerPosition() throws -> ScreenPoint {
        try checked("XQueryPointer") {
            var rootReturn: Window = 0, child: Window = 0
            var rx: Int32 = 0, ry: Int32 = 0, wx: Int32 = 0, wy: Int32 = 0
            var mask: UInt32 = 0
            XQueryPointer(display, root, &rootReturn, &child, &rx, &ry, &wx, &wy, &mask)
            return ScreenPoint(x: Int(rx), y: Int(ry))
        }
    }

    public func movePointer(to point: ScreenPoint) throws {
        try requireXTest("move pointer")
        try checkPoint(point)
        try checked("move pointer to \(point)") {
            XTestFakeMotionEvent(display, screen, Int32(point.x), Int32(point.y), 0)
        }
    }

    public func click(_ button: MouseButton, at point: ScreenPoint?, count: Int = 1) throws {
        guard (1...3).contains(count) else {
            throw DesktopError.invalidArgument(operation: "click", reason: "click count \(count) is not 1, 2 or 3")
        }
        try requireXTest("click")
        waitOutMultiClickGap()
        if let point { try movePointer(to: point) }
        // No delay between clicks: toolkits count a multi-click by the server timestamps and
        // distance, and these events arrive well inside any double-click time.
        try checked("\(button) click x\(count)") {
            for _ in 0..<count {
                XTestFakeButtonEvent(display, UInt32(button.rawValue), 1, 0)
                XTestFakeButtonEvent(display, UInt32(button.rawValue), 0, 0)
            }
        }
        lastButtonRelease = Date()
    }

    /// Sleeps until `multiClickGap` has passed since the last button release of an earlier action.
    func waitOutMultiClickGap() {
        guard let last = lastButtonRelease else { return }
        let wait = multiClickGap - Date().timeIntervalSince(last)
        if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
    }

    public func pressButton(_ button: MouseButton, down: Bool) throws {
        try requireXTest("button press")
        try checked("\(button) button \(down ? "down" : "up")") {
            XTestFakeButtonEvent(display, UInt32(button.rawValue), down ? 1 : 0, 0)
        }
    }

    /// Presses at `from`, moves to `to` in `steps` motions (toolkits start a drag only after
    /// motion beyond a threshold, and some track only motion events), releases at `to`.
    public func drag(from: ScreenPoint?, to: ScreenPoint) throws {
        try drag(from: from, to: to, steps: 12, stepDelay: 0.01)
    }

    public func drag(from: ScreenPoint?, to: ScreenPoint, steps: Int, stepDelay: Double) throws {
        guard (1...1000).contains(steps), stepDelay >= 0, stepDelay <= 1 else {
            throw DesktopError.invalidArgument(operation: "drag", reason: "\(steps) steps of \(stepDelay) s")
        }
        try requireXTest("drag")
        try checkPoint(to)
        waitOutMultiClickGap()
        if let from { try movePointer(to: from) }
        let start = try pointerPosition()
        try pressButton(.left, down: true)
        do {
            usleep(UInt32(stepDelay * 1_000_000))
            for i in 1...steps {
                let t = Double(i) / Double(steps)
                let p = ScreenPoint(x: start.x + Int((Double(to.x - start.x) * t).rounded()),
                                    y: start.y + Int((Double(to.y - start.y) * t).rounded()))
                try movePointer(to: p)
                usleep(UInt32(stepDelay * 1_000_000))
            }
        } catch {
            try? pressButton(.left, down: false) // never leave the button held
            throw error
        }
        try pressButton(.left, down: false)
        lastButtonRelease = Date()
    }

    public func scroll(_ direction: ScrollDirection, steps: Int, at point: ScreenPoint?) throws {
        guard (1...200).contains(steps) else {
            throw DesktopError.invalidArgument(operation: "scroll", reason: "\(steps) wheel steps is not within 1...200")
        }
        try requireXTest("scroll")
        if let point { try movePointer(to: point) }
        try checked("scroll \(direction) x\(steps)") {
            for _ in 0..<steps {
                XTestFakeButtonEvent(display, UInt32(direction.rawValue), 1, 0)
                XTestFakeButtonEvent(display, UInt32(direction.rawValue), 0, 0)
            }
        }
    }

    func requireXTest(_ operation: String) throws {
        guard hasXTest else { throw DesktopError.missingExtension(display: name, name: "XTEST") }
    }
}
