import XCTest
@testable import Sandbox

final class SandboxHomeTests: XCTestCase {
    var seed: String = ""
    var homes: [SandboxHome] = []

    override func setUpWithError() throws {
        seed = NSTemporaryDirectory() + "understudy-seed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: seed + "/Documents", withIntermediateDirectories: true)
        try Data("first line\n".utf8).write(to: URL(fileURLWithPath: seed + "/Documents/notes.txt"))
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: seed + "/keep.txt"))
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: seed + "/gone.txt"))
        try FileManager.default.createSymbolicLink(atPath: seed + "/link", withDestinationPath: "Documents/notes.txt")
    }

    override func tearDown() {
        for home in homes { try? home.discard() }
        try? FileManager.default.removeItem(atPath: seed)
    }

    func makeHome() throws -> SandboxHome {
        let home = try SandboxHome(seed: seed, name: "test")
        homes.append(home)
        return home
    }

    func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func testHomeIsAPrivateCopyOfTheSeed() throws {
        let home = try makeHome()
        let attributes = try FileManager.default.attributesOfItem(atPath: home.root)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertEqual(try String(contentsOfFile: home.path + "/Documents/notes.txt", encoding: .utf8), "first line\n")
        try write("changed in the home\n", home.path + "/keep.txt")
        XCTAssertEqual(try String(contentsOfFile: seed + "/keep.txt", encoding: .utf8), "keep\n", "the seed is never written")
        let snapshot = try home.snapshot()
        XCTAssertEqual(Set(snapshot.entries.keys), ["Documents", "Documents/notes.txt", "keep.txt", "gone.txt", "link"])
        XCTAssertEqual(snapshot.entries["link"]?.kind, .symlink)
        XCTAssertEqual(snapshot.entries["link"]?.linkTarget, "Documents/notes.txt")
        XCTAssertEqual(snapshot.entries["Documents/notes.txt"]?.sha256, SHA256.hex(Data("first line\n".utf8)))
    }

    func testDiffFindsCreatedChangedAndDeletedFiles() throws {
        let home = try makeHome()
        let before = try home.snapshot()
        try write("first line\nsecond line\n", home.path + "/Documents/notes.txt")
        try write("new\n", home.path + "/Documents/new.txt")
        try FileManager.default.removeItem(atPath: home.path + "/gone.txt")
        // Same content, new mtime: not a change.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000)], ofItemAtPath: home.path + "/keep.txt")
        let after = try home.snapshot(reusing: before)
        let diff = HomeDiff.between(before, after)
        XCTAssertEqual(diff, HomeDiff(created: ["Documents/new.txt"], changed: ["Documents/notes.txt"], deleted: ["gone.txt"]))
        XCTAssertEqual(after.filesHashed, 3, "notes.txt, new.txt and the touched keep.txt are rehashed; nothing else")
    }

    func testSameSizeRewriteIsSeenEvenWithTheOldMtime() throws {
        let home = try makeHome()
        let path = home.path + "/keep.txt"
        let before = try home.snapshot()
        let mtime = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        try write("KEEP\n", path)
        try FileManager.default.setAttributes([.modificationDate: mtime ?? Date()], ofItemAtPath: path)
        let diff = HomeDiff.between(before, try home.snapshot(reusing: before))
        XCTAssertEqual(diff.changed, ["keep.txt"], "ctime changed, so the file was rehashed")
    }

    func testCopyHomeCheckpointRestoresContentExactly() throws {
        let home = try makeHome()
        let original = try Data(contentsOf: URL(fileURLWithPath: home.path + "/Documents/notes.txt"))
        let checkpoint = try home.checkpoint(.copyHome(restartAfterRestore: true), label: "before step 3")
        try write("garbage written by a step that went wrong", home.path + "/Documents/notes.txt")
        try write("created later", home.path + "/Documents/later.txt")
        try FileManager.default.removeItem(atPath: home.path + "/keep.txt")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: home.path + "/gone.txt")

        try home.restore(checkpoint, strategy: .copyHome(restartAfterRestore: true))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: home.path + "/Documents/notes.txt")), original)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.path + "/Documents/later.txt"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.path + "/keep.txt"))
        XCTAssertTrue(HomeDiff.between(checkpoint.manifest, try home.snapshot()).isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: home.path + "/gone.txt")[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, checkpoint.manifest.entries["gone.txt"].map { Int($0.mode) })
    }

    func testHookCheckpointRunsTheDefinitionsArgv() throws {
        let home = try makeHome()
        // The definition author's own hook programs; they get the folders in their environment.
        let save = ["/bin/sh", "-c", "cp -a \"$UNDERSTUDY_SANDBOX_HOME/.\" \"$UNDERSTUDY_CHECKPOINT_DIR/\""]
        let restore = ["/bin/sh", "-c", "find \"$UNDERSTUDY_SANDBOX_HOME\" -mindepth 1 -delete && cp -a \"$UNDERSTUDY_CHECKPOINT_DIR/.\" \"$UNDERSTUDY_SANDBOX_HOME/\""]
        let strategy = SandboxDefinition.CheckpointStrategy.hooks(save: save, restore: restore, restartAfterRestore: false)
        let checkpoint = try home.checkpoint(strategy, label: "hooks")
        try write("changed", home.path + "/keep.txt")
        try home.restore(checkpoint, strategy: strategy)
        XCTAssertEqual(try String(contentsOfFile: home.path + "/keep.txt", encoding: .utf8), "keep\n")
    }

    func testAFailingRestoreHookIsAnError() throws {
        let home = try makeHome()
        let strategy = SandboxDefinition.CheckpointStrategy.hooks(save: ["/bin/true"], restore: ["/bin/false"], restartAfterRestore: false)
        let checkpoint = try home.checkpoint(strategy, label: "x")
        XCTAssertThrowsError(try home.restore(checkpoint, strategy: strategy)) { error in
            guard case .commandFailed(let argv, let status, _)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(argv, ["/bin/false"])
            XCTAssertEqual(status, 1)
        }
        // A restore hook that "succeeds" without restoring is caught by the verification.
        let lying = SandboxDefinition.CheckpointStrategy.hooks(save: ["/bin/true"], restore: ["/bin/true"], restartAfterRestore: false)
        let second = try home.checkpoint(lying, label: "y")
        try write("changed", home.path + "/keep.txt")
        XCTAssertThrowsError(try home.restore(second, strategy: lying)) { error in
            guard case .restoreFailed(_, let reason)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("keep.txt"), reason)
        }
    }

    func testMissingSeedIsAnError() {
        XCTAssertThrowsError(try SandboxHome(seed: "/nonexistent/seed", name: "x")) { error in
            XCTAssertEqual(error as? SandboxError, .seedMissing(path: "/nonexistent/seed"))
        }
    }

    func testSHA256MatchesTheFIPSVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
