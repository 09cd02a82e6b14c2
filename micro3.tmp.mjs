const [,, dir, n = "2000"] = process.argv;
const mod = await import(`${dir}/esm/src/index.js`);
const c = new mod.NotteClient({ apiKey: "sk_test_0123456789abcdef", baseUrl: "http://127.0.0.1:47123" });
const call = () => c.agents.stop({ agentId: "a1", sessionId: "s1" });
for (let i = 0; i < 3000; i++) await call();
const N = Number(n);
for (let i = 0; i < N; i++) await call();
