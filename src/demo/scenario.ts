import { DateTime } from "luxon";
import { seededRandom } from "../domain/random.js";

/**
 * The demo's data: two businesses, one day of their agenda and what the customers answer.
 * Plain data and a seeded generator, so every run tells the same story.
 */
export const DEMO_TOKEN = "demo-whaticket-token";
export const DEMO_WEBHOOK_TOKEN = "demo-webhook-token";

export interface DemoCompany {
  id: string;
  name: string;
  timezone: string;
  businessHours: string;
}

export const DEMO_COMPANIES: DemoCompany[] = [
  { id: "clinica-sol", name: "Clínica Sol", timezone: "America/Sao_Paulo", businessHours: "mon-fri 09:00-18:00" },
  { id: "estudio-lua", name: "Estúdio Lua", timezone: "America/Manaus", businessHours: "mon-sat 10:00-19:00" },
];

export interface DemoAppointment {
  company: string;
  externalId: string;
  client: string;
  phone: string;
  /** Local "HH:mm" on the demo day, in the company's zone. */
  start: string;
  end: string;
  consent: boolean;
  status: "booked" | "cancelled";
  /** What the narrator says about this row when the agenda is shown. */
  note: string;
}

export const DEMO_DAY_AGENDA: DemoAppointment[] = [
  { company: "clinica-sol", externalId: "SOL-101", client: "Ana Souza", phone: "+55 11 98765-0001", start: "09:00", end: "10:00", consent: true, status: "booked", note: "will answer yes and pick a slot" },
  { company: "clinica-sol", externalId: "SOL-102", client: "Bruno Lima", phone: "+55 11 98765-0002", start: "10:30", end: "11:30", consent: true, status: "booked", note: "will answer no" },
  { company: "clinica-sol", externalId: "SOL-103", client: "Diego Rocha", phone: "+55 11 98765-0004", start: "11:00", end: "11:45", consent: false, status: "booked", note: "no LGPD consent: never contacted" },
  { company: "clinica-sol", externalId: "SOL-104", client: "Carla Dias", phone: "+55 11 98765-0003", start: "14:00", end: "15:00", consent: true, status: "booked", note: "will leave feedback" },
  { company: "clinica-sol", externalId: "SOL-105", client: "Elisa Martins", phone: "+55 11 98765-0005", start: "15:30", end: "16:30", consent: true, status: "cancelled", note: "cancelled: no follow-up" },
  { company: "clinica-sol", externalId: "SOL-106", client: "Henrique Alves", phone: "+55 11 98765-0006", start: "16:30", end: "17:30", consent: true, status: "booked", note: "will not answer: stays pending" },
  { company: "estudio-lua", externalId: "LUA-201", client: "Fábio Nunes", phone: "+55 92 98123-0007", start: "13:00", end: "14:00", consent: true, status: "booked", note: "Whaticket fails once: retried" },
  { company: "estudio-lua", externalId: "LUA-202", client: "Gabriela Torres", phone: "+55 92 98123-0008", start: "18:00", end: "19:30", consent: true, status: "booked", note: "ends late: quiet hours move it to 08:00 next day" },
];

export interface DemoReply {
  /** Local time on the demo day in São Paulo ("HH:mm"). */
  at: string;
  externalId: string;
  text: string;
}

export const DEMO_REPLIES: DemoReply[] = [
  { at: "11:24", externalId: "SOL-101", text: "Sim, quero marcar" },
  { at: "11:31", externalId: "SOL-101", text: "2" },
  { at: "12:52", externalId: "SOL-102", text: "Não, obrigado" },
  { at: "16:18", externalId: "SOL-104", text: "O atendimento foi excelente, só preciso de mais materiais." },
];

/** The appointment that fails once at Whaticket (HTTP 500) and is retried. */
export const DEMO_FAILS_ONCE = "LUA-201";

/** The demo day: the last weekday at least two days before today, so every event is in the past. */
export function demoDay(now: Date, zone: string): DateTime {
  let d = DateTime.fromJSDate(now, { zone }).startOf("day").minus({ days: 2 });
  while (d.weekday > 5) d = d.minus({ days: 1 });
  return d;
}

export function atLocal(day: DateTime, hhmm: string, zone: string): Date {
  const [h, m] = hhmm.split(":").map(Number);
  return day.setZone(zone, { keepLocalTime: true }).set({ hour: h ?? 0, minute: m ?? 0, second: 0, millisecond: 0 }).toJSDate();
}


const FIRST = ["Marina", "Paulo", "Renata", "Thiago", "Juliana", "Rafael", "Camila", "Lucas", "Patrícia", "Gustavo", "Beatriz", "Felipe", "Larissa", "Mateus", "Aline", "Rodrigo"];
const LAST = ["Oliveira", "Santos", "Pereira", "Costa", "Ferreira", "Ribeiro", "Almeida", "Carvalho", "Gomes", "Barbosa"];

/** Answers of past weeks' customers (free text, as people write; classified by the real ContextEngine). */
const HISTORY_ANSWERS: Record<"positive" | "negative" | "feedback", string[]> = {
  positive: ["Sim, quero marcar", "quero sim!", "pode marcar pra semana que vem", "Bora! quinta de manhã?", "simm 👍", "claro, vamos agendar"],
  negative: ["Não, obrigado", "agora não, obrigada", "talvez mais pra frente", "não precisa", "❌"],
  feedback: ["Adorei o atendimento!", "a recepção demorou um pouco", "Muito obrigada pela atenção 🙏", "estacionamento estava lotado"],
};

export interface HistoryEntry {
  company: string;
  externalId: string;
  client: string;
  phone: string;
  start: Date;
  end: Date;
  consent: boolean;
  answer: string | null;
}

/** Three weeks of past weekdays before the demo day, a few appointments a day per company. */
export function demoHistory(day: DateTime, weeks = 3, seed = 2404): HistoryEntry[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const out: HistoryEntry[] = [];
  let n = 0;
  for (let back = weeks * 7; back >= 1; back--) {
    const d = day.minus({ days: back });
    if (d.weekday > 5) continue;
    for (const c of DEMO_COMPANIES) {
      const count = 2 + Math.floor(rnd() * 4);
      for (let i = 0; i < count; i++) {
        n++;
        const startHour = 9 + Math.floor(rnd() * 8);
        const start = atLocal(d, `${String(startHour).padStart(2, "0")}:${rnd() < 0.5 ? "00" : "30"}`, c.timezone);
        const r = rnd();
        const kind = r < 0.42 ? "positive" : r < 0.66 ? "negative" : r < 0.8 ? "feedback" : null;
        out.push({
          company: c.id,
          externalId: `${c.id === "clinica-sol" ? "SOL" : "LUA"}-H${String(n).padStart(3, "0")}`,
          client: `${pick(FIRST)} ${pick(LAST)}`,
          phone: `55${c.id === "clinica-sol" ? "11" : "92"}9${String(70000000 + n).padStart(8, "0")}`,
          start,
          end: new Date(start.getTime() + (rnd() < 0.5 ? 60 : 45) * 60_000),
          consent: rnd() > 0.1,
          answer: kind ? pick(HISTORY_ANSWERS[kind]) : null,
        });
      }
    }
  }
  return out;
}
