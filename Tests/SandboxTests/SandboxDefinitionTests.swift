import XCTest
@testable import Sandbox

final class SandboxDefinitionTests: XCTestCase {
    let full = """
    name = "editor"
    description = "an editor"
    [app]
    command = ["/usr/bin/mousepad", "--disable-server", "notes.txt"]
    environment = { LANG = "de_DE.UTF-8", EDITOR_MODE = "plain" }
    [screen]
    width = 800
    height = 600
    depth = 16
    [home]
    seed = "editor-home"
    mount = "/home/agent"
    permitted_writes = ["Documents", "exports/pdf"]
    [isolation]
    network = "none"
    uid = 1234
    gid = 1234
    etc = ["fonts", "passwd"]
    ro_binds = ["/usr/share/fonts"]
    [undo]
    chord = "ctrl+z"
    [checkpoint]
    strategy = "hooks"
    save = ["/usr/local/bin/save-state", "--all"]
    restore = ["/usr/local/bin/restore-state"]
    restart_after_restore = false
    """

    func testFullDefinitionDecodes() throws {
        let d = try SandboxDefinition(toml: full, baseDirectory: "/defs")
        XCTAssertEqual(d.name, "editor")
        XCTAssertEqual(d.app.command, ["/usr/bin/mousepad", "--disable-server", "notes.txt"])
        XCTAssertEqual(d.app.environment, ["LANG": "de_DE.UTF-8", "EDITOR_MODE": "plain"])
        XCTAssertEqual(d.screen, .init(width: 800, height: 600, depth: 16))
        XCTAssertEqual(d.home.seed, "/defs/editor-home")
        XCTAssertEqual(d.home.mount, "/home/agent")
        XCTAssertEqual(d.home.permittedWrites, ["Documents", "exports/pdf"])
        XCTAssertEqual(d.isolation, .init(network: .none, uid: 1234, gid: 1234, etc: ["fonts", "passwd"],
                                          readOnlyBinds: ["/usr/share/fonts"]))
        XCTAssertEqual(d.undoChord, "ctrl+z")
        XCTAssertEqual(d.checkpoint, .hooks(save: ["/usr/local/bin/save-state", "--all"],
                                            restore: ["/usr/local/bin/restore-state"], restartAfterRestore: false))
    }

    func testMinimalDefinitionGetsSafeDefaults() throws {
        let d = try SandboxDefinition(toml: "name = \"x\"\n[app]\ncommand = [\"/usr/bin/zenity\"]\n", baseDirectory: "/")
        XCTAssertEqual(d.isolation.network, .none)
        XCTAssertEqual(d.home.permittedWrites, [])
        XCTAssertNil(d.home.seed)
        XCTAssertEqual(d.home.mount, "/home/user")
        XCTAssertEqual(d.checkpoint, .copyHome(restartAfterRestore: true))
        XCTAssertNil(d.undoChord)
        XCTAssertEqual(d.screen, .init(width: 1280, height: 800, depth: 24))
    }

    func testUnknownKeyIsRejectedWithItsPath() {
        let text = full.replacingOccurrences(of: "environment =", with: "enviroment =")
        XCTAssertThrowsError(try SandboxDefinition(toml: text, baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .unknownKey(path: "app.enviroment", suggestion: "environment"))
            XCTAssertEqual("\(error)", "unknown key \"app.enviroment\" (did you mean \"environment\"?)")
        }
        let nested = "name = \"x\"\n[app]\ncommand = [\"a\"]\n[isolation]\nnetwork = \"none\"\nshare_net = true\n"
        XCTAssertThrowsError(try SandboxDefinition(toml: nested, baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .unknownKey(path: "isolation.share_net", suggestion: nil))
        }
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\nnmae = 1\n[app]\ncommand = [\"a\"]\n", baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .unknownKey(path: "nmae", suggestion: "name"))
        }
    }

    func testMissingCommandIsRejected() {
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n[app]\nenvironment = {}\n", baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .missingKey(path: "app.command"))
        }
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n", baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .missingKey(path: "app"))
        }
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n[app]\ncommand = []\n", baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .invalidValue(path: "app.command", reason: "needs at least the program to run"))
        }
    }

    func testShellStringCommandIsRejected() {
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n[app]\ncommand = \"zenity --info\"\n", baseDirectory: "/")) { error in
            XCTAssertEqual(error as? SandboxError, .wrongType(path: "app.command", expected: "an array of strings", found: "a string"))
        }
    }

    func testInvalidValuesNameTheirPlace() {
        let cases: [(String, SandboxError)] = [
            ("[app]\ncommand = [\"a\"]\nenvironment = { HOME = \"/root\" }",
             .invalidValue(path: "app.environment.HOME", reason: "set by the launcher; a definition may not override it")),
            ("[app]\ncommand = [\"a\"]\n[isolation]\nnetwork = \"yes\"",
             .invalidValue(path: "isolation.network", reason: "must be \"none\" or \"host\"")),
            ("[app]\ncommand = [\"a\"]\n[home]\nmount = \"/tmp/home\"",
             .invalidValue(path: "home.mount", reason: "must be an absolute path outside the system folders (e.g. /home/user)")),
            ("[app]\ncommand = [\"a\"]\n[home]\npermitted_writes = [\"../escape\"]",
             .invalidValue(path: "home.permitted_writes[0]", reason: "must be a folder relative to the home (\".\" for all of it), without ..")),
            ("[app]\ncommand = [\"a\"]\n[undo]\nchord = \"  \"",
             .invalidValue(path: "undo.chord", reason: "must not be empty")),
            ("[app]\ncommand = [\"a\"]\n[checkpoint]\nstrategy = \"hooks\"\nsave = [\"/bin/true\"]",
             .missingKey(path: "checkpoint.restore")),
            ("[app]\ncommand = [\"a\"]\n[screen]\nwidth = 10",
             .invalidValue(path: "screen.width", reason: "must be in 64…8192")),
            ("[app]\ncommand = [\"a\", 3]",
             .wrongType(path: "app.command[1]", expected: "a string", found: "an integer")),
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n" + body + "\n", baseDirectory: "/"), body) { error in
                XCTAssertEqual(error as? SandboxError, expected, body)
            }
        }
    }

    func testSyntaxErrorCarriesALine() {
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n[app\n", baseDirectory: "/", file: "bad.toml")) { error in
            guard case .syntax(let file, let line, _, _)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "bad.toml")
            XCTAssertEqual(line, 2)
        }
    }

    /// A `}` where an array expects a value made toml++ assert (abort) in `parse_value`; Sandbox had no
    /// preflight before it shared StrictTOML's reader with Policy, so a bad definition crashed the process.
    func testInputThatCrashedTOMLKitIsASyntaxError() {
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\na = [1, }]\n", baseDirectory: "/", file: "bad.toml")) { error in
            guard case .syntax(let file, let line, _, _)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "bad.toml")
            XCTAssertEqual(line, 2)
        }
        XCTAssertThrowsError(try SandboxDefinition(toml: "name = \"x\"\n[#app]\n", baseDirectory: "/")) { error in
            guard case .syntax(let file, _, _, _)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "<definition>")
        }
    }

    func testShippedDefinitionsLoadAndTheirSeedsExist() throws {
        for name in ["zenity-form", "mousepad", "galculator", "demo-zenity-entry", "demo-zenity-invoice-form"] {
            let d = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/\(name).toml")
            XCTAssertEqual(d.name, name)
            XCTAssertEqual(d.isolation.network, .none, name)
            if let seed = d.home.seed {
                var isDirectory: ObjCBool = false
                XCTAssertTrue(FileManager.default.fileExists(atPath: seed, isDirectory: &isDirectory) && isDirectory.boolValue, seed)
            }
        }
        let mousepad = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/mousepad.toml")
        XCTAssertEqual(mousepad.home.seed, sandboxesFolder() + "/mousepad-home")
        XCTAssertEqual(mousepad.undoChord, "ctrl+z")
        // The demo's stages: the transcripts in Sandboxes/demo/ were measured on exactly these.
        let entry = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/demo-zenity-entry.toml")
        XCTAssertEqual(entry.app.command, ["/usr/bin/zenity", "--entry", "--title", "Understudy demo", "--text", "Your name:",
                                           "--width", "400", "--height", "160"])
        XCTAssertEqual([entry.screen.width, entry.screen.height], [1280, 800])
    }

    func testCanonicalDigestIgnoresLayoutButNotValues() throws {
        let a = try SandboxDefinition(toml: "name = \"x\"\n[app]\ncommand = [\"a\"]\nenvironment = { B = \"2\", A = \"1\" }\n", baseDirectory: "/")
        let b = try SandboxDefinition(toml: "# same, reordered\nname = \"x\"\n[app]\nenvironment = { A = \"1\", B = \"2\" }\ncommand = [ \"a\" ]\n",
                                      baseDirectory: "/")
        let c = try SandboxDefinition(toml: "name = \"x\"\n[app]\ncommand = [\"a\"]\nenvironment = { B = \"2\", A = \"1\" }\n[isolation]\nnetwork = \"host\"\n",
                                      baseDirectory: "/")
        XCTAssertEqual(try a.canonicalDigest(), try b.canonicalDigest())
        XCTAssertNotEqual(try a.canonicalDigest(), try c.canonicalDigest())
        XCTAssertEqual(try a.canonicalDigest().count, 64)
    }

    func testPermittedWrites() throws {
        let d = try SandboxDefinition(toml: full, baseDirectory: "/")
        XCTAssertTrue(d.permitsWrite(to: "Documents/notes.txt"))
        XCTAssertTrue(d.permitsWrite(to: "exports/pdf/a.pdf"))
        XCTAssertFalse(d.permitsWrite(to: "exports/a.pdf"))
        XCTAssertFalse(d.permitsWrite(to: "DocumentsX/a"))
        XCTAssertFalse(d.permitsWrite(to: ".bashrc"))
    }
}
