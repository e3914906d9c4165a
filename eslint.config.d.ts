// Types for what the tests import from eslint.config.js (the layer rule's core folders).
export declare const CORE_FOLDERS: string[];
declare const config: unknown;
export default config;
