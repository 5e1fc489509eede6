// Loaded with `node --import ./node20.mjs`: the conformance suite 0.1.16 imports `globSync` from "fs",
// which Node 20 does not have (only the suite's tier-check command calls it). Its "fs" is resolved to a
// module that adds a stand-in; everything else is Node's own.
import { register } from 'node:module';

register('./node20-hooks.mjs', import.meta.url);
