import CX11
import Foundation

/// Reading selections (CLIPBOARD, PRIMARY) as text: how a test or the agent reads back what an
/// application copied, without trusting pixels.
extension X11Display {
    /// The window that owns a selection (e.g. "WM_S0", owned by the window manager), or 0.
    public func selectionOwner(_ selection: String) throws -> UInt {
        let a = atom(selection)
        return UInt(try checked("XGetSelectionOwner \(selection)") { XGetSelectionOwner(display, a) })
    }

    /// The selection's content as UTF-8 text, or nil when nobody owns it or the owner refuses
    /// text. Waits at most `timeout` seconds for the owner to answer.
    public func selectionText(_ selection: String = "CLIPBOARD", timeout: Double = 2) throws -> String? {
        let selectionAtom = atom(selection)
        let owner = try checked("XGetSelectionOwner \(selection)") { XGetSelectionOwner(display, selectionAtom) }
        guard owner != 0 else { return nil }
        let window = try checked("XCreateSimpleWindow (selection requestor)") {
            XCreateSimpleWindow(display, root, -10, -10, 1, 1, 0, 0, 0)
        }
        defer { _ = try? checked("XDestroyWindow") { XDestroyWindow(display, window) } }
        let target = atom("UTF8_STRING")
        let property = atom("UNDERSTUDY_SELECTION")
        try checked("XConvertSelection \(selection)") {
            XConvertSelection(display, selectionAtom, target, property, window, 0 /* CurrentTime */)
        }
        let deadline = Date().addingTimeInterval(timeout)
        var event = XEvent()
        while true {
            let got = try checked("wait for SelectionNotify") { XCheckTypedWindowEvent(display, window, SelectionNotify, &event) }
            if got != 0 { break }
            guard Date() < deadline else {
                throw DesktopError.invalidArgument(operation: "read selection \(selection)",
                                                   reason: "the owner did not answer within \(timeout) s")
            }
            usleep(2_000)
        }
        guard event.xselection.property != 0 else { return nil } // conversion refused
        let typeAtom = try checked("XGetWindowProperty type") { () -> Atom in
            var type: Atom = 0
            var format: Int32 = 0
            var count: UInt = 0, after: UInt = 0
            var data: UnsafeMutablePointer<UInt8>? = nil
            XGetWindowProperty(display, window, property, 0, 0, 0, 0, &type, &format, &count, &after, &data)
            if let data { XFree(data) }
            return type
        }
        if typeAtom == atom("INCR") {
            throw DesktopError.invalidArgument(operation: "read selection \(selection)",
                                               reason: "incremental transfers (selections over ~256 KiB) are not supported")
        }
        guard let bytes = try self.property(window, property, maxBytes: 1 << 20) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
