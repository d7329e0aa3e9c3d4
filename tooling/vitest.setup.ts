// Every test file runs on the backend named by WALKJUMP_BACKEND (default: auto → wasm here).
import { useBackend } from '@walkjump/tensor';

await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
