/* Session player: hold and contraction timers, per-side sets, counters that fill the form.
 * Progressive enhancement: without this file the page is a plain form that works.
 * Time is read from Date.now() on every tick, so a slow or throttled tab stays correct. */
(function () {
  "use strict";

  // The lazy, privacy-enhanced video: nothing is loaded from the provider until asked.
  document.querySelectorAll("a.video-link[data-embed]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.src = link.dataset.embed + (link.dataset.embed.indexOf("?") < 0 ? "?" : "&") + "autoplay=1";
      frame.title = link.dataset.title || "";
      frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
      frame.allowFullscreen = true;
      frame.className = "video-frame";
      link.replaceWith(frame);
    });
  });

  var root = document.getElementById("timer");
  if (!root) return;
  root.hidden = false;

  var t = root.dataset;
  var sets = parseInt(t.sets, 10) || 1;
  var reps = parseInt(t.reps, 10) || 1;
  var hold = parseInt(t.hold, 10) || 0;
  var contraction = parseInt(t.contraction, 10) || 0;
  var rest = parseInt(t.rest, 10) || 0;
  var ready = parseInt(t.ready, 10) || 3;
  var sides = t.side === "per_side" ? [t.tLeft, t.tRight] : t.side === "each_way" ? [t.tWay1, t.tWay2] : [""];

  var where = document.getElementById("timer-where");
  var phase = document.getElementById("timer-phase");
  var count = document.getElementById("timer-count");
  var announcer = document.getElementById("timer-announce");
  var startButton = document.getElementById("timer-start");
  var pauseButton = document.getElementById("timer-pause");
  var contractionButton = document.getElementById("contraction-start");
  var setsField = document.getElementById("id_sets_done");
  var repsField = document.getElementById("id_reps_done");

  var audio = null;
  function beep(long) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = long ? 660 : 880;
      gain.gain.value = 0.2;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + (long ? 0.6 : 0.2));
    } catch (error) {
      /* No sound on this device: the screen and the announcement still tell. */
    }
    if (navigator.vibrate) navigator.vibrate(long ? [200, 100, 200] : 200);
  }

  function announce(text) {
    announcer.textContent = "";
    // A fresh node change makes screen readers read the same words twice in a row.
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // The plan: a list of timed phases, run one after the other.
  function holdPlan() {
    var plan = [];
    for (var set = 1; set <= sets; set++) {
      for (var rep = 1; rep <= reps; rep++) {
        for (var s = 0; s < sides.length; s++) {
          var label = [t.tSet + " " + set + " " + t.tOf + " " + sets,
                       t.tRep + " " + rep + " " + t.tOf + " " + reps, sides[s]].filter(Boolean).join(" · ");
          plan.push({ name: t.tReady, where: label, seconds: ready, kind: "ready" });
          plan.push({ name: t.tHold, where: label, seconds: hold, kind: "work",
                      after: s === sides.length - 1 ? { set: set, rep: rep } : null });
        }
      }
      if (rest && set < sets) plan.push({ name: t.tRest, where: "", seconds: rest, kind: "rest" });
    }
    return plan;
  }

  function contractionPlan() {
    return [
      { name: t.tReady, where: "", seconds: ready, kind: "ready" },
      { name: t.tContract, where: "", seconds: contraction, kind: "work", done: t.tContractDone },
    ];
  }

  var plan = [], index = -1, endsAt = 0, remainingWhenPaused = 0, ticking = null, paused = false;

  function showCount(seconds) {
    count.textContent = seconds + " s";
  }

  function enter(i) {
    index = i;
    if (index >= plan.length) return finish();
    var step = plan[index];
    endsAt = Date.now() + step.seconds * 1000;
    phase.textContent = step.name;
    where.textContent = step.where;
    showCount(step.seconds);
    root.dataset.phase = step.kind;
    announce([step.name, step.where, step.seconds + " " + t.tSeconds].filter(Boolean).join(". "));
  }

  function complete(step) {
    if (step.kind === "work") beep(false);
    if (step.after) {
      // Counters fill the form as the patient goes: a rep per full round of sides.
      repsField.value = step.after.rep;
      if (step.after.rep === reps) setsField.value = step.after.set;
    }
  }

  function tick() {
    if (paused || index < 0) return;
    var left = Math.ceil((endsAt - Date.now()) / 1000);
    if (left > 0) {
      showCount(left);
      return;
    }
    complete(plan[index]);
    enter(index + 1);
  }

  function finish() {
    window.clearInterval(ticking);
    ticking = null;
    index = -1;
    delete root.dataset.phase;
    count.textContent = "";
    var last = plan[plan.length - 1];
    var text = last && last.done ? last.done : t.tDone;
    phase.textContent = text;
    where.textContent = "";
    pauseButton.hidden = true;
    beep(true);
    announce(text);
    root.dataset.state = "done";
  }

  function start(newPlan) {
    window.clearInterval(ticking);
    plan = newPlan;
    paused = false;
    pauseButton.hidden = false;
    pauseButton.textContent = t.tPause;
    root.dataset.state = "running";
    if (newPlan.length > 2 && setsField && repsField) {
      setsField.value = 0;
      repsField.value = 0;
    }
    enter(0);
    ticking = window.setInterval(tick, 200);
  }

  function countReps() {
    // No hold in the prescription: each press counts a rep, and a full set fills the sets.
    var done = (parseInt(repsField.value, 10) || 0) % reps + 1;
    repsField.value = done;
    if (done === reps) setsField.value = Math.min((parseInt(setsField.value, 10) || 0) + 1, sets);
    announce(t.tRep + " " + done + " " + t.tOf + " " + reps);
  }

  startButton.addEventListener("click", function () {
    if (hold > 0) start(holdPlan()); else countReps();
  });
  if (contractionButton) {
    contractionButton.addEventListener("click", function () { start(contractionPlan()); });
  }
  pauseButton.addEventListener("click", function () {
    if (index < 0) return;
    if (!paused) {
      paused = true;
      remainingWhenPaused = endsAt - Date.now();
      pauseButton.textContent = t.tResume;
      root.dataset.state = "paused";
      announce(t.tPaused);
    } else {
      paused = false;
      endsAt = Date.now() + remainingWhenPaused;
      pauseButton.textContent = t.tPause;
      root.dataset.state = "running";
      announce(plan[index].name);
    }
  });
})();
