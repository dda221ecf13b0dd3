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
  var pausedBadge = document.getElementById("timer-paused");
  var announcer = document.getElementById("timer-announce");
  var startButton = document.getElementById("timer-start");
  var pauseButton = document.getElementById("timer-pause");
  var contractionButton = document.getElementById("contraction-start");
  var setsField = document.getElementById("id_sets_done");
  var repsField = document.getElementById("id_reps_done");

  var audio = null;
  // A short high beep when a hold or contraction starts, a lower one when it ends,
  // a long one when everything is done; a vibration of the same shape where there is one.
  function beep(kind) {
    var tones = { start: [990, 0.15], end: [660, 0.3], done: [660, 0.6] }[kind];
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = tones[0];
      gain.gain.value = 0.2;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + tones[1]);
    } catch (error) {
      /* No sound on this device: the screen and the announcement still tell. */
    }
    if (navigator.vibrate) navigator.vibrate(kind === "start" ? 120 : kind === "end" ? [200, 80, 200] : [400, 100, 400]);
    root.dataset.cue = kind;
  }

  function announce(text) {
    announcer.textContent = "";
    // A fresh node change makes screen readers read the same words twice in a row.
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // The screen stays on while a timer runs (Wake Lock API, where the browser has it).
  var wakeLock = null, wakeLockAsked = false;
  function keepAwake() {
    if (!navigator.wakeLock || wakeLock || wakeLockAsked) return;
    wakeLockAsked = true;
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLockAsked = false;
      // Paused or ended while the browser was deciding: the screen may sleep after all.
      if (index < 0 || paused) {
        lock.release();
        return;
      }
      wakeLock = lock;
      root.dataset.awake = "yes";
      lock.addEventListener("release", function () {
        wakeLock = null;
        delete root.dataset.awake;
      });
    }).catch(function () {
      /* Refused (battery saver, hidden tab): the timer still runs. */
      wakeLockAsked = false;
    });
  }
  function letSleep() {
    if (wakeLock) wakeLock.release();
  }
  document.addEventListener("visibilitychange", function () {
    // The browser drops the lock when the tab is hidden; take it again on return.
    if (document.visibilityState === "visible" && index >= 0 && !paused) keepAwake();
  });

  // The plan: a list of timed phases, run one after the other. The hold and the
  // contraction timers run the same sets, reps and sides; only the work phase differs.
  function timedPlan(workName, workSeconds) {
    var plan = [];
    for (var set = 1; set <= sets; set++) {
      for (var rep = 1; rep <= reps; rep++) {
        for (var s = 0; s < sides.length; s++) {
          var label = [t.tSet + " " + set + " " + t.tOf + " " + sets,
                       t.tRep + " " + rep + " " + t.tOf + " " + reps, sides[s]].filter(Boolean).join(" · ");
          plan.push({ name: t.tReady, where: label, seconds: ready, kind: "ready" });
          plan.push({ name: workName, where: label, seconds: workSeconds, kind: "work",
                      after: s === sides.length - 1 ? { set: set, rep: rep } : null });
        }
      }
      if (rest && set < sets) plan.push({ name: t.tRest, where: "", seconds: rest, kind: "rest" });
    }
    return plan;
  }

  var plan = [], index = -1, endsAt = 0, remainingWhenPaused = 0, ticking = null, paused = false;
  var doneText = t.tDone;

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
    if (step.kind === "work") beep("start");
    announce([step.name, step.where, step.seconds + " " + t.tSeconds].filter(Boolean).join(". "));
  }

  function complete(step) {
    if (step.kind === "work" && index < plan.length - 1) beep("end");
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

  function setRunning(running) {
    // While a timer runs, its Start buttons are off: a tap cannot restart it from set 1.
    startButton.disabled = running && hold > 0;
    if (contractionButton) contractionButton.disabled = running;
    pauseButton.hidden = !running;
  }

  function finish() {
    window.clearInterval(ticking);
    ticking = null;
    index = -1;
    paused = false;
    delete root.dataset.phase;
    count.textContent = "";
    phase.textContent = doneText;
    where.textContent = "";
    pausedBadge.hidden = true;
    setRunning(false);
    letSleep();
    beep("done");
    announce(doneText);
    root.dataset.state = "done";
  }

  function start(newPlan, finalText) {
    window.clearInterval(ticking);
    plan = newPlan;
    doneText = finalText;
    paused = false;
    pausedBadge.hidden = true;
    pauseButton.textContent = t.tPause;
    setRunning(true);
    root.dataset.state = "running";
    if (setsField && repsField) {
      setsField.value = 0;
      repsField.value = 0;
    }
    keepAwake();
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
    if (index >= 0) return;
    if (hold > 0) start(timedPlan(t.tHold, hold), t.tDone); else countReps();
  });
  if (contractionButton) {
    contractionButton.addEventListener("click", function () {
      if (index >= 0) return;
      start(timedPlan(t.tContract, contraction), t.tContractDone + " " + t.tDone);
    });
  }
  pauseButton.addEventListener("click", function () {
    if (index < 0) return;
    if (!paused) {
      paused = true;
      remainingWhenPaused = endsAt - Date.now();
      pauseButton.textContent = t.tResume;
      root.dataset.state = "paused";
      pausedBadge.hidden = false;
      letSleep();
      announce(t.tPaused);
    } else {
      paused = false;
      endsAt = Date.now() + remainingWhenPaused;
      pauseButton.textContent = t.tPause;
      root.dataset.state = "running";
      pausedBadge.hidden = true;
      keepAwake();
      announce(plan[index].name);
    }
  });
})();
