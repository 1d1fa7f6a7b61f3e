// Policy's view of rehearsal effects. Policy and Sandbox both name a type `RehearsalEffects`; this
// file imports Policy alone so the alias below means Policy's (the module's `Policy` struct shadows
// the module name, so `Policy.RehearsalEffects` cannot be written).

import Policy

public typealias PolicyRehearsalEffects = RehearsalEffects
