/* A short alert tone made with WebAudio (no sound file to ship): the board's critical alarm and the
   phone's new-offer beep. window.GovernTone.play({times, type, frequency, volume, length}) plays
   `times` tones (seconds after the first); returns false where the browser cannot play sound (the
   caller's visible signal stays the one that matters). Browsers keep audio suspended until the
   person has touched the page, so the first alarm may be silent: hence resume() on every play. */
(function () {
  "use strict";
  var audio = null;

  function play(options) {
    var o = options || {};
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return false;
      audio = audio || new Ctx();
      if (audio.state === "suspended" && audio.resume) audio.resume();
      var length = o.length || 0.2;
      (o.times || [0]).forEach(function (offset) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var at = audio.currentTime + offset;
        osc.type = o.type || "sine";
        osc.frequency.value = o.frequency || 880;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(o.volume || 0.3, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + length - 0.02);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + length);
      });
      return true;
    } catch (e) {
      return false;
    }
  }

  window.GovernTone = { play: play };
})();
