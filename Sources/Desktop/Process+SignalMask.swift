import Foundation

extension Process {
    /// `run()` with every signal unblocked in the child.
    ///
    /// A child inherits the signal mask of the thread that spawns it. Dispatch and Swift
    /// concurrency worker threads block SIGTERM (among others), so a server started from an async
    /// command (`AsyncParsableCommand`) ignored the SIGTERM meant to stop it cleanly and had to be
    /// killed, leaving its lock file behind. The mask is cleared on this thread only for the
    /// duration of the spawn; a signal that arrives meanwhile gets its default handling, as it
    /// would on the main thread.
    public func runWithUnblockedSignals() throws {
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
    }
}
