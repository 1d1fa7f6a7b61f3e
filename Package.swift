// swift-tools-version:6.0
// Understudy: a sandboxed GUI automation agent for Linux.
// Targets and the import rules between them: docs/architecture.md (mirrors shared/docs/architecture.md).
import PackageDescription

// Numeric code is unusable unoptimized (per-element loops run 20-100x slower at -Onone), so these
// targets are optimized in every configuration; tests still see them through @testable import.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]
// Each target folder has a README.md saying what it owns; it is documentation, not a resource.
let readme = ["README.md"]

let package = Package(
    name: "Understudy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "understudy", targets: ["understudy"]),
        // Runs inside every sandbox before the application (Sandbox/NetworkWatch.swift); found next to
        // the running executable, so it must be built with it.
        .executable(name: "understudy-netwatch", targets: ["understudy-netwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // Layer 0: C libraries. Each is imported by exactly one Swift target.
        .systemLibrary(name: "CX11", path: "Sources/CX11"),
        .systemLibrary(name: "CXdo", path: "Sources/CXdo"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        // libpng reports errors through longjmp; the jump must land in C, so this is a small C target.
        .target(name: "CPNG", path: "Sources/CPNG", linkerSettings: [.linkedLibrary("png")]),
        // seccomp user-notification ioctls, process_vm_readv, pidfd_getfd and SCM_RIGHTS for Sandbox.
        .target(name: "CSeccomp", path: "Sources/CSeccomp"),
        // The seccomp filter that runs inside the sandbox in front of the application. Plain C, but the
        // Swift driver links every executable with swiftrt.o and libswiftCore, and the toolchain's lib
        // folder is not inside the sandbox: the runtime is linked in statically.
        .executableTarget(name: "understudy-netwatch", path: "Sources/understudy-netwatch",
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--gc-sections"])]),

        // Layer 1
        .target(name: "Imaging", dependencies: ["CPNG"], exclude: readme, swiftSettings: optimized),
        .target(name: "Tensors", dependencies: ["COpenBLAS"], exclude: readme, swiftSettings: optimized),
        // Strict TOML schema reading (unknown keys rejected with their path) over TOMLKit, which only
        // this target imports; Policy and Sandbox read their files through it.
        .target(name: "StrictTOML", dependencies: ["TOMLKit"], exclude: readme),
        // The one JSON value type: strict parser, compact / canonical (audit) / Python-style writers.
        .target(name: "StrictJSON", exclude: readme),

        // Layer 2
        .target(name: "ModelFormats", dependencies: ["Tensors", "StrictJSON"], exclude: readme, swiftSettings: optimized),
        .target(name: "Tokenization", dependencies: ["StrictJSON"], exclude: readme, swiftSettings: optimized),
        .target(name: "Desktop", dependencies: ["Imaging", "CX11", "CXdo"], exclude: readme),

        // Layer 3
        .target(name: "Qwen3VL", dependencies: ["Tensors", "ModelFormats", "Tokenization", "Imaging", "StrictJSON"],
                exclude: readme, swiftSettings: optimized),
        .target(name: "Actions", dependencies: ["StrictJSON"], exclude: readme),
        // Crypto for the SHA-256 policy hash that decisions and audit records cite.
        .target(name: "Policy", dependencies: ["Actions", "StrictJSON", "StrictTOML", .product(name: "Crypto", package: "swift-crypto")],
                exclude: readme),
        .target(name: "Audit", dependencies: ["StrictJSON", .product(name: "Crypto", package: "swift-crypto")], exclude: readme),
        // Sandbox definitions, bubblewrap launching, isolation checks, effect snapshots (files, processes).
        .target(name: "Sandbox", dependencies: ["StrictTOML", "CSeccomp", .product(name: "Crypto", package: "swift-crypto")],
                exclude: readme),

        // Layer 4
        .target(name: "Agent", dependencies: [
            "Actions", "Policy", "Audit", "Desktop", "Imaging", "Qwen3VL", "Tokenization", "Sandbox", "StrictJSON",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: readme),

        // Layer 5
        .executableTarget(name: "understudy", dependencies: [
            "Agent", "Actions", "Policy", "Audit", "Desktop", "Imaging", "Qwen3VL", "Tokenization",
            "ModelFormats", "Tensors", "Sandbox", "StrictJSON",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests. Unit tests need no X server, network or weights; DesktopTests and AgentTests start Xvfb.
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "StrictTOMLTests", dependencies: ["StrictTOML"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "Tensors"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "StrictJSON"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DesktopTests", dependencies: ["Desktop", "Imaging"]),
        .testTarget(name: "Qwen3VLTests", dependencies: ["Qwen3VL", "ModelFormats", "Tensors", "Tokenization", "Imaging"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ActionsTests", dependencies: ["Actions", "StrictJSON"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Actions"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "StrictJSON"]),
        // Fixtures/ (the tiny model's tokenizer) is read through #filePath next to the vision fixtures, not bundled.
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Actions", "Policy", "Audit", "Desktop", "Imaging", "Tokenization",
                                                      "Sandbox", "StrictJSON", "Qwen3VL"],
                    exclude: ["Fixtures"]),
        // Uses the understudy-netwatch binary next to the test bundle (.build/<config>/): `swift build`
        // builds every product (a target dependency on a C executable would link its main into the bundle).
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"]),
        .testTarget(name: "CLITests", dependencies: ["Imaging"]),
    ],
    swiftLanguageModes: [.v5]
)
