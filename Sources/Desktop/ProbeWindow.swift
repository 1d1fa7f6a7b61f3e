import CX11
import Foundation
import Imaging

/// A plain X window of our own that reports the input it receives and changes colour on every
/// button press: the instrument for measuring input-to-pixel latency, and for checking that a
/// button or key event arrives exactly as sent.
///
/// It has its own connection and event thread, as a separate application would.
public final class ProbeWindow: @unchecked Sendable {
    public struct Event: Equatable, Sendable {
        public enum Kind: Equatable, Sendable { case buttonPress(Int), buttonRelease(Int), keyPress(UInt), motion }
        public var kind: Kind
        public var x: Int
        public var y: Int
    }

    public let frame: PixelRect
    public let windowID: UInt
    private let display: OpaquePointer
    private let window: Window
    private let gc: GC
    private let lock = NSLock()
    private var received: [Event] = []
    private var running = true
    private var thread: Thread?
    private var colorIndex = 0
    private let done = DispatchSemaphore(value: 0)

    /// The colours the window cycles through, one per button press (first one at start).
    public static let colors: [UInt] = [0x20_40_80, 0xe0_c0_20, 0x20_a0_40, 0xc0_30_30]

    /// - Parameter claimedPID: written to `_NET_WM_PID`, a property any client may set to
    ///   anything; tests use it to show that owners come from the server, not from it.
    public init(displayName: String, cookie: [UInt8]?, frame: PixelRect, claimedPID: Int32? = nil) throws {
        guard let display = X11Display.openConnection(displayName, cookie: cookie) else {
            throw DesktopError.cannotOpenDisplay(display: displayName)
        }
        self.display = display
        self.frame = frame
        let screen = XDefaultScreen(display)
        let root = XRootWindow(display, screen)
        var attributes = XSetWindowAttributes()
        attributes.override_redirect = 1 // placed exactly where asked, with or without a window manager
        attributes.background_pixel = ProbeWindow.colors[0]
        attributes.event_mask = ExposureMask | ButtonPressMask | ButtonReleaseMask | KeyPressMask | PointerMotionMask
        window = XCreateWindow(display, root, Int32(frame.x), Int32(frame.y), UInt32(frame.width), UInt32(frame.height), 0,
                               XDefaultDepth(display, screen), UInt32(InputOutput), XDefaultVisual(display, screen),
                               UInt(CWOverrideRedirect | CWBackPixel | CWEventMask), &attributes)
        windowID = UInt(window)
        gc = XCreateGC(display, window, 0, nil)
        XStoreName(display, window, "understudy probe")
        if let claimedPID {
            var value = UInt(UInt32(bitPattern: claimedPID)) // format 32 travels as C long
            XChangeProperty(display, window, XInternAtom(display, "_NET_WM_PID", 0), XA_CARDINAL, 32, PropModeReplace,
                            withUnsafeBytes(of: &value) { $0.baseAddress?.assumingMemoryBound(to: UInt8.self) }, 1)
        }
        XMapRaised(display, window)
        XSync(display, 0)
        let t = Thread { [unowned self] in self.loop() }
        thread = t
        t.start()
    }

    deinit { stop() }

    /// Stops the event thread and destroys the window.
    public func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        guard wasRunning else { return }
        done.wait()
        if !XErrorTrap.isLost(display) {
            XDestroyWindow(display, window)
            XCloseDisplay(display)
        }
        XErrorTrap.forget(display)
    }

    /// Events received so far.
    public var events: [Event] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    public func clearEvents() {
        lock.lock()
        received.removeAll()
        lock.unlock()
    }

    /// Waits until `condition` holds for the events received, or `timeout` passes.
    public func waitFor(timeout: Double, _ condition: ([Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(events) { return true }
            usleep(2_000)
        }
        return condition(events)
    }

    private func loop() {
        defer { done.signal() }
        let fd = XConnectionNumber(display)
        while true {
            lock.lock()
            let keepGoing = running
            lock.unlock()
            guard keepGoing, !XErrorTrap.isLost(display) else { return }
            if XPending(display) == 0 {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 20)
                continue
            }
            var event = XEvent()
            XNextEvent(display, &event)
            switch event.type {
            case ButtonPress:
                // Repaint first: the latency measured is input to pixels.
                colorIndex = (colorIndex + 1) % ProbeWindow.colors.count
                XSetForeground(display, gc, ProbeWindow.colors[colorIndex])
                XFillRectangle(display, window, gc, 0, 0, UInt32(frame.width), UInt32(frame.height))
                XFlush(display)
                append(Event(kind: .buttonPress(Int(event.xbutton.button)), x: Int(event.xbutton.x), y: Int(event.xbutton.y)))
            case ButtonRelease:
                append(Event(kind: .buttonRelease(Int(event.xbutton.button)), x: Int(event.xbutton.x), y: Int(event.xbutton.y)))
            case KeyPress:
                var key = event.xkey
                let ks = XLookupKeysym(&key, 0)
                append(Event(kind: .keyPress(UInt(ks)), x: Int(event.xkey.x), y: Int(event.xkey.y)))
            case MotionNotify:
                append(Event(kind: .motion, x: Int(event.xmotion.x), y: Int(event.xmotion.y)))
            case Expose:
                XSetForeground(display, gc, ProbeWindow.colors[colorIndex])
                XFillRectangle(display, window, gc, 0, 0, UInt32(frame.width), UInt32(frame.height))
                XFlush(display)
            default:
                break
            }
        }
    }

    private func append(_ e: Event) {
        lock.lock()
        received.append(e)
        lock.unlock()
    }
}
