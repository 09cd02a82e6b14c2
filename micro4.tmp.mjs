// One variant in a fresh process: CPU µs per stop() after warm-up, against the loopback server.
const [,, which, n = "5000"] = process.argv;
const base = "http://127.0.0.1:47123";
let call;
if (which === "of") {
  const { default: createClient } = await import("openapi-fetch");
  const client = createClient({ baseUrl: base, headers: { authorization: "Bearer sk_test_0123456789abcdef" } });
  call = async () => { const r = await client.DELETE("/agents/{agent_id}/stop", { params: { path: { agent_id: "a1" }, query: { session_id: "s1" } } }); if (!r.data) throw new Error("x"); };
} else {
  const mod = await import(`/work/main/.tmp/${which}/esm/src/index.js`);
  const c = new mod.NotteClient({ apiKey: "sk_test_0123456789abcdef", baseUrl: base });
  call = () => c.agents.stop({ agentId: "a1", sessionId: "s1" });
}
for (let i = 0; i < 3000; i++) await call();
const N = Number(n);
const t0 = process.cpuUsage();
for (let i = 0; i < N; i++) await call();
const cpu = process.cpuUsage(t0);
console.log(((cpu.user + cpu.system) / N).toFixed(2));
